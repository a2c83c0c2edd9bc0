"""A negative distance and an MMD² above its bound: the grader must fail both."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return -1.0

def mmd_rbf(x, y, bandwidth):
    return 1000.0
