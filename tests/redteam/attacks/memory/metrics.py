"""A 20 GB string: the address-space limit must stop it."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return len(" " * (20 << 30))
