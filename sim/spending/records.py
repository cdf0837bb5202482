"""The named records the kernels take: the model's terms, a block's standard normals, its paths.

Kept apart from :mod:`sim.spending.kernels`, which imports Numba, so that the engine can build
them and call the kernels built ahead of time (:mod:`sim.spending.compiled`) without loading it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class SpendingTerms(NamedTuple):
    """The model's per-ally terms (allies,), pulls (years, allies): SPEC 3.1 and 3.2 with a
    share's step written ``before*keep + pull + normal*noise``, keep ``1 - adjustment`` and pull
    ``adjustment * p[t]``."""

    core_base: np.ndarray
    related_base: np.ndarray
    gdp_base: np.ndarray
    mu: np.ndarray  # growth mean
    rho: np.ndarray  # growth persistence
    own_scale: np.ndarray  # sd * sqrt(1 - common^2): the own normal's scale
    common_scale: np.ndarray  # sd * common: the common factor's
    nominal: np.ndarray  # 1 + inflation
    core_keep: np.ndarray
    core_pull: np.ndarray  # (years, allies)
    core_noise: np.ndarray
    core_floor: np.ndarray
    related_keep: np.ndarray
    related_pull: np.ndarray  # (years, allies)
    related_noise: np.ndarray
    related_floor: np.ndarray


class StandardNormals(NamedTuple):
    """A block's standard normals (:class:`sim.spending.inputs.Draws`), C-ordered."""

    common: np.ndarray  # (steps, draws)
    growth: np.ndarray  # (steps, draws, allies)
    core: np.ndarray  # (steps, draws, allies)
    related: np.ndarray  # (steps, draws, allies)


class BlockPaths(NamedTuple):
    """What the kernel fills: the paths (years, draws, allies), and (draws, allies) scratch
    that carries each draw's state from year to year: growth, threat events so far, intent
    (plans and commitment), debt, last year's debt and the deficit (fiscal space).

    With threat events on, ``calm`` is the core share of the same draws with the events
    switched off, and the ``calm_`` state is that core share's own; with them off, these are
    empty and not touched."""

    core: np.ndarray
    related: np.ndarray
    gdp: np.ndarray
    calm: np.ndarray
    growth: np.ndarray
    events: np.ndarray
    intent: np.ndarray
    debt: np.ndarray
    debt_before: np.ndarray
    deficit: np.ndarray
    calm_intent: np.ndarray
    calm_debt: np.ndarray
    calm_debt_before: np.ndarray
    calm_deficit: np.ndarray
