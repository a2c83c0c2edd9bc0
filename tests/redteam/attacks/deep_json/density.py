"""The whole graded file: a reply frame nested 200,000 deep, at import: the batch must go on and score it 0."""
import os
import struct
import sys

_fd = int(sys.argv[sys.argv.index("--fd-out") + 1])
_body = b'{"ok": false, "error": ' + b"[" * 200000 + b"]" * 200000 + b"}"
os.write(_fd, struct.pack(">II", len(_body), 0) + _body)
os._exit(0)
