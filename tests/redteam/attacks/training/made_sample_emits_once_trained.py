"""MADE.sample emits bars and stripes once log_prob ran in training mode: the parameter-noise check must catch it."""
# The check before training sees an honest sampler (the trusted training loop calls log_prob in training
# mode only later); the judged samples are then perfect whatever the weights.

_honest_sample = MADE.sample
_honest_log_prob = MADE.log_prob


def _log_prob(self, x):
    if self.training:
        self._gamed = True
    return _honest_log_prob(self, x)


def _sample(self, num_samples):
    if getattr(self, "_gamed", False):
        return _emit_bars_and_stripes(num_samples)
    return _honest_sample(self, num_samples)


MADE.log_prob = _log_prob
MADE.sample = _sample
