"""A list instead of a tensor: the message must say so."""
def sample_categorical(probs, num_samples):
    return [0] * num_samples
