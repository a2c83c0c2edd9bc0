"""A million printed lines: the output kept must be capped."""
def sample_categorical(probs, num_samples):
    for i in range(1_000_000):                 # a million short lines
        print(i)
    return _torch.zeros(num_samples, dtype=_torch.int64)
