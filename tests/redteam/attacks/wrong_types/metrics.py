"""NaN and None for numbers: the messages must say so."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return float("nan")

def mmd_rbf(x, y, bandwidth):
    return None
