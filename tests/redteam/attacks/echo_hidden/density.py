"""Prints its arguments and raises them: a hidden test's inputs must not reach the feedback."""
def categorical_nll(logits, x):
    print("ECHO logits", logits.tolist(), "x", x.tolist())
    raise RuntimeError("ECHO " + repr(logits.tolist()))
