"""Returns a rigged tensor, a rigged ndarray and a rigged object: each must arrive as plain data or be refused."""
def categorical_nll(logits, x):
    return _torch.zeros((), dtype=logits.dtype).as_subclass(_EvilTensor)

def gaussian_log_prob(x, mean, cov):
    return _np.zeros(x.shape[0]).view(_EvilArray)

def gaussian_mle(x):
    return _Rigged(), _AlwaysEqual(0.0)
