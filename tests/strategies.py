"""Reusable Hypothesis strategies: values inside and outside a parameter's domain, TOML keys."""

from __future__ import annotations

import keyword

from hypothesis import strategies as st


def inside(lo: float, hi: float, *, hi_open: bool = False) -> st.SearchStrategy[float]:
    """Finite floats in ``[lo, hi]`` (``[lo, hi)`` when ``hi_open``), bounds included."""
    return st.floats(lo, hi, exclude_max=hi_open, allow_nan=False, allow_infinity=False)


def outside(lo: float, hi: float, *, hi_open: bool = False, span: float = 1e6,
            ) -> st.SearchStrategy[float]:
    """Finite floats out of the domain, within ``span`` of it: just below ``lo`` or above ``hi``."""
    below = st.floats(lo - span, lo, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = st.floats(hi, hi + span, exclude_min=not hi_open, allow_nan=False,
                      allow_infinity=False)
    # The filter drops -0.0, which compares equal to a lower bound of 0.0.
    return (below | above).filter(lambda x: x < lo or (x >= hi if hi_open else x > hi))


#: Bare TOML keys that read as plausible field names (lower-case identifiers).
bare_keys = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True).filter(
    lambda k: not keyword.iskeyword(k))
