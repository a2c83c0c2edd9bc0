"""`python -m data build` (generate what is missing, verify, write the stamp) or `verify`."""

import argparse
import sys

from data.build import build, verify
from data.store import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    parser.add_argument("command", choices=("build", "verify"))
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            build()
        else:
            verify()
            print("data: all files verified")
    except DataError as err:
        print(f"data: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
