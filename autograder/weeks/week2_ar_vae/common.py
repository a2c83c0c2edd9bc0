"""Helpers shared by the week-2 hidden tests (trusted formulas and exact-enumeration utilities)."""
import torch
import torch.nn.functional as F

from autograder import checks as check

F64 = torch.float64


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """The trusted formula: sum over dimensions of x log sigmoid(l) + (1 - x) log sigmoid(-l), in float64."""
    x, logits = x.to(F64), logits.to(F64)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(-1)


def as_dtype(model, dtype):
    """The student's model converted to dtype (a dtype cannot travel to the child; the methods can)."""
    return model.double() if dtype == F64 else model.float()


def pooled_chi_square(counts: torch.Tensor, probs: torch.Tensor, p_fail: float, what: str) -> None:
    """Pearson chi-square over the outcomes, pooling outcomes whose expected count is below 5 into one
    cell (the chi-square approximation needs expected counts >= 5; pooling keeps the test exact in level)."""
    counts, probs = counts.to(F64), probs.to(F64) / probs.to(F64).sum()
    n = float(counts.sum())
    small = probs * n < 5
    if bool(small.any()):
        counts = torch.cat([counts[~small], counts[small].sum().view(1)])
        probs = torch.cat([probs[~small], probs[small].sum().view(1)])
        if float(probs[-1]) * n < 5:  # the pooled cell is still tiny: fold it into the largest cell
            big = int(torch.argmax(probs[:-1]))
            counts[big] += counts[-1]
            probs[big] += probs[-1]
            counts, probs = counts[:-1], probs[:-1]
    check.chi_square(counts, probs, p_fail=p_fail, what=what)


def binary_codes(x: torch.Tensor) -> torch.Tensor:
    """(N, d) binary -> (N,) int64 index into all_binary(d) (first coordinate most significant)."""
    d = x.shape[1]
    weights = 2 ** torch.arange(d - 1, -1, -1)
    return (x.round().long() * weights).sum(1)


def all_binary(d: int, dtype=F64) -> torch.Tensor:
    """(2^d, d): every binary vector, the first coordinate most significant."""
    return check.enumerate_grid(2, d).to(dtype)
