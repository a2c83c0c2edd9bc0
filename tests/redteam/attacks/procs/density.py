"""A fork bomb and a SIGTERM-proof spinner: the process limit caps the bomb, nothing outlives grading."""
def categorical_nll(logits, x):
    spawned, error = 0, ""
    for _ in range(500):              # a fork bomb of sleeping processes
        try:
            pid = _os.fork()
        except OSError as exc:
            error = repr(exc)
            break
        if pid == 0:
            try:
                _rt_name()
                _time.sleep(600)
            finally:
                _os._exit(0)
        spawned += 1
    raise RuntimeError(f"FORKBOMB spawned={spawned} error={error}")

def gaussian_log_prob(x, mean, cov):
    try:
        pid = _os.fork()
    except OSError as exc:
        raise RuntimeError(f"SPINNER fork refused: {exc!r}")
    if pid == 0:
        try:
            import signal
            _rt_name()
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                pass
        finally:
            _os._exit(0)
    raise RuntimeError("SPINNER started")

def gaussian_mle(x):
    raise RuntimeError("PROCS " + _json.dumps(_PROCS_STATUS))
