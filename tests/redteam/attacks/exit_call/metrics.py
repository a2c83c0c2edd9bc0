"""abort() and a segmentation fault inside graded calls: the grader must name the signal."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    _os.abort()

def mmd_rbf(x, y, bandwidth):
    import ctypes
    ctypes.string_at(0)  # segmentation fault
