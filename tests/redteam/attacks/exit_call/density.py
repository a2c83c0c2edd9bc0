"""os._exit, sys.exit and KeyboardInterrupt inside the graded calls: each costs only its own test."""
def categorical_nll(logits, x):
    _os._exit(0)

def gaussian_log_prob(x, mean, cov):
    _sys.exit(0)

def gaussian_mle(x):
    raise KeyboardInterrupt
