"""Writes its own reply frames to the runtime's pipe: the shared frame writer and a pickle payload."""
import struct as _struct

_FD_OUT = int(_sys.argv[_sys.argv.index("--fd-out") + 1])

def _rt_frame(message, blob=b""):
    body = message if isinstance(message, bytes) else _json.dumps(message).encode()
    _os.write(_FD_OUT, _struct.pack(">II", len(body), len(blob)) + body + blob)

class _Payload:
    """If the grader ever unpickled this, it would create a file on the grader's machine."""
    def __reduce__(self):
        import builtins
        return (builtins.open, ("@PICKLE_FLAG@", "w"))

