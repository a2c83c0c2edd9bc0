"""A busy loop with every catchable signal ignored and blocked: the time limit must still cut it."""
def sample_categorical(probs, num_samples):
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGALRM, signal.SIGXCPU, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
    x = 0
    while True:
        x += 1
