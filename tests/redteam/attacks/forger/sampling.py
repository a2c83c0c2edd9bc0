"""A class index out of range for every sample: the grader must fail it."""
def sample_categorical(probs, num_samples):
    return _torch.full((num_samples,), probs.shape[0], dtype=_torch.int64)
