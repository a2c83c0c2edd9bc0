"""Five 63 MiB files in the working folder: the folder must be capped at 256 MiB."""
def gaussian_log_prob(x, mean, cov):
    written = 0
    block = b"\0" * (1 << 20)
    try:
        for i in range(5):                         # five files of 63 MiB, each under the file-size limit
            with open(f"fill{i}.bin", "wb") as f:
                for _ in range(63):
                    f.write(block)
                    written += len(block)
    except OSError as exc:
        raise RuntimeError(f"DISK wrote={written} error={exc!r}")
    raise RuntimeError(f"DISK wrote={written} error=none")
