"""Plumbing with no region: copied as is."""


def clamp(x: float, low: float, high: float) -> float:
    """x limited to [low, high]."""
    return min(max(x, low), high)
