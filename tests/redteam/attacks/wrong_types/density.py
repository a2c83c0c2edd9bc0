"""A wrong signature, NaN values and a dict for a pair: each needs its own clear message."""
def categorical_nll():
    return 0.0

def gaussian_log_prob(x, mean, cov):
    return _torch.full((x.shape[0],), float("nan"), dtype=x.dtype)

def gaussian_mle(x):
    return {"mean": x.mean(0), "cov": _torch.eye(x.shape[1], dtype=x.dtype)}
