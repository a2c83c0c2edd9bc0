"""SIGSTOP to itself, a busy loop and a 10**6 s sleep: each test must be cut at its time limit."""
def categorical_nll(logits, x):
    if logits.numel() == 3:            # the hidden-input test: stop ourselves
        import signal
        _os.kill(_os.getpid(), signal.SIGSTOP)
    while True:                        # the other test: spin
        pass

def gaussian_log_prob(x, mean, cov):
    _time.sleep(10 ** 6)
