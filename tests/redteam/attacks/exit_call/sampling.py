"""SIGKILL to itself inside a graded call: the test fails, the next one runs."""
def sample_categorical(probs, num_samples):
    import signal
    _os.kill(_os.getpid(), signal.SIGKILL)
