"""20 GB as bytes, a tensor and an array: the address-space limit must stop each."""
_GB20 = 20 << 30

def categorical_nll(logits, x):
    return bytearray(_GB20)

def gaussian_log_prob(x, mean, cov):
    return _torch.empty(_GB20 // 4, dtype=_torch.float32)

def gaussian_mle(x):
    import numpy
    return numpy.ones(_GB20 // 8)
