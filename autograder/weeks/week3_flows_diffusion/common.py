"""Helpers shared by the week-3 hidden tests (trusted formulas in Python floats)."""


def alpha_bars(betas: list[float]) -> list[float]:
    """ᾱ_t = ∏_{s ≤ t} (1 − β_s) for t = 0 … T−1, in Python floats (DDPM eq. 4's cumulative product)."""
    out, prod = [], 1.0
    for b in betas:
        prod *= 1 - b
        out.append(prod)
    return out
