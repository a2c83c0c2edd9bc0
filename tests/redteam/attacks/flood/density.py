"""150 MB on stdout at import, 100 MB on stderr, a 10 MB message, huge return values: the feedback must stay small."""
_chunk = b"FLOOD-OUT " * 100_000 + b"\n"      # 1 MB
for _ in range(150):                           # 150 MB on stdout at import time
    _os.write(1, _chunk)

def categorical_nll(logits, x):
    chunk = b"FLOOD-ERR " * 100_000 + b"\n"
    for _ in range(100):                       # 100 MB on stderr
        _os.write(2, chunk)
    raise RuntimeError("M" * 10_000_000)       # a 10 MB exception message

def gaussian_log_prob(x, mean, cov):
    return [0.5] * 3_000_000                   # about 15 MB of JSON ... times a few: over the limit

def gaussian_mle(x):
    big = _torch.zeros(8_000_000, dtype=_torch.float64)   # 64 MB of arrays
    return big, big
