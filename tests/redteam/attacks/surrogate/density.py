"""An exception message with a lone surrogate: the batch must still write every result."""
def categorical_nll(logits, x):
    raise ValueError("a lone surrogate: \ud800")
