"""Right types and shapes, wrong values (an NLL below 0, a log-density of 1000): each must fail."""
def categorical_nll(logits, x):
    return _torch.tensor(-1.0, dtype=logits.dtype)

def gaussian_log_prob(x, mean, cov):
    return _torch.full((x.shape[0],), 1000.0, dtype=x.dtype)

def gaussian_mle(x):
    return x.mean(0) + 1000.0, 1000.0 * _torch.eye(x.shape[1], dtype=x.dtype)
