"""Returns an int32 tensor that claims to be int64: the grader must see the real dtype."""
def sample_categorical(probs, num_samples):
    return _torch.zeros(num_samples, dtype=_torch.int32).as_subclass(_LyingDtype)
