"""torch.multinomial saved at import: the runtime must still refuse it when it is disabled."""
from torch import multinomial as _multinomial   # saved before the runtime disables torch.multinomial

def sample_categorical(probs, num_samples):
    return _multinomial(probs / probs.sum(), num_samples, replacement=True)
