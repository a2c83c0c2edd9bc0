"""The whole graded file: at import, an error reply whose error is not a dict: the batch goes on, scores 0."""
import os
import struct
import sys

_fd = int(sys.argv[sys.argv.index("--fd-out") + 1])
_body = b'{"ok": false, "error": "not a dict"}'
os.write(_fd, struct.pack(">II", len(_body), 0) + _body)
os._exit(0)
