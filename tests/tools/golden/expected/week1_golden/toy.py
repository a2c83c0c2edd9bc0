"""Toy week for the generator's golden test: two functions and a method to write.

Write them in this order: `square`, `mean_of_squares`, `Counter.add`.
"""
import math


def square(x: float) -> float:
    """Return x squared.

    x: () float. Returns () float.
    """
    # TODO: multiply x by itself.
    raise NotImplementedError


def mean_of_squares(values: list[float]) -> float:
    """Mean of the squares of `values`, through `square`.

    values: (N,) floats, N >= 1. Returns () float.
    """
    if len(values) < 1:
        raise ValueError("values must hold at least one number")
    total = 0.0
    for value in values:
        # TODO: accumulate square(value) into total.
        raise NotImplementedError
    return total / len(values)


class Counter:
    """Counts what it is given."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, amount: int = 1) -> int:
        """Add `amount` and return the new count."""
        raise NotImplementedError
