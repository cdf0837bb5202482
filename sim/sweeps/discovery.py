"""Scenario discovery: the ranges of assumptions under which a goal is likely to fail (PRIM).

Given a sweep's inputs (one row per variant, one column per swept parameter) and which variants
*fail* (say P(alliance meets goal) < 0.5), the Patient Rule Induction Method (Friedman & Fisher
1999, as in EMA Workbench's ``Prim``) peels thin slices off a box around all variants, each time
the slice that most raises the share of failing variants left inside, until the box holds too
few variants. Each step of this *peeling trajectory* trades:

- **coverage**: the share of all failing variants that lie inside the box;
- **density**: the share of variants inside the box that fail;
- **mass**: the share of all variants inside the box.

:func:`prim_box` picks the step with the highest coverage among those whose density reaches the
threshold (0.8 by default). Peeling also trims slivers off parameters that hardly matter, so the
chosen box then loses, one at a time, each restriction whose quasi-p-value (Bryant & Lempert
2010: a one-sided binomial test of the box's density against the box without that restriction)
is above 0.05. The limits are reported parameter by parameter: a planner reads them as "where
adjustment < 0.23 and growth < 1.1%, the goal fails in 93% of variants".
"""

from __future__ import annotations

import logging
import warnings

import attrs
import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import OptionError


@attrs.frozen
class BoxLimit:
    """One parameter's limits in a box, against the range the variants span."""

    parameter: str
    low: float
    high: float
    swept_low: float  # the lowest value among the variants
    swept_high: float
    #: The box narrows the parameter: its low or its high lies inside the swept range.
    restricted: bool

    def describe(self, name: str | None = None) -> str:
        """The restriction in words, ``growth ≤ 0.011`` or ``0.2 ≤ adjustment ≤ 0.4``;
        ``name`` replaces the parameter's key."""
        name = self.parameter if name is None else name
        if self.low > self.swept_low and self.high < self.swept_high:
            return f"{self.low:.3g} ≤ {name} ≤ {self.high:.3g}"
        if self.low > self.swept_low:
            return f"{name} ≥ {self.low:.3g}"
        return f"{name} ≤ {self.high:.3g}"


@attrs.frozen
class PrimBox:
    """The box :func:`prim_box` chose, or why there is none.

    ``coverage``, ``density`` and ``mass`` are fractions (0-1) of the box; ``chosen`` is the row
    of ``trajectory`` (columns ``coverage``, ``density``, ``mass``, ``restricted``: the number of
    parameters the box narrows) it was taken from, before the restrictions in ``dropped`` (not
    significant) were lifted. Without a box (no variant fails, or all do) ``limits``
    is empty, the fractions are NaN, ``chosen`` is None and ``note`` says why.
    """

    variants: int
    failing: int
    threshold: float  # the density the box was asked to reach
    limits: tuple[BoxLimit, ...]
    coverage: float
    density: float
    mass: float
    chosen: int | None
    trajectory: pd.DataFrame = attrs.field(repr=False, eq=False)
    dropped: tuple[str, ...] = ()
    note: str = ""

    @property
    def found(self) -> bool:
        return self.chosen is not None

    @property
    def meets_threshold(self) -> bool:
        """The chosen box's density reaches the threshold (else it is the densest there is)."""
        return self.found and self.density >= self.threshold

    @property
    def restricted(self) -> tuple[BoxLimit, ...]:
        """The limits of the parameters the box narrows."""
        return tuple(limit for limit in self.limits if limit.restricted)


_TRAJECTORY = ("coverage", "density", "mass", "restricted")
#: A restriction whose quasi-p-value is above this is lifted from the chosen box.
SIGNIFICANCE = 0.05


def prim_box(inputs: pd.DataFrame, failing: np.ndarray, *, threshold: float = 0.8,
             peel_alpha: float = 0.05, mass_min: float = 0.05) -> PrimBox:
    """The PRIM box of the variants that fail, as ranges of the swept parameters.

    ``inputs`` holds one row per variant and one numeric column per parameter; ``failing`` is a
    boolean array, one per row (e.g. ``table.alliance_meets_goal < 0.5``). ``threshold`` is the
    density the chosen box must reach, ``peel_alpha`` the share of variants each peel removes and
    ``mass_min`` the smallest share of variants a box may hold. The step chosen has the highest
    coverage among those of at least ``threshold`` density (ties: the denser); when no step
    reaches it, the densest step, and :attr:`PrimBox.meets_threshold` is False.
    """
    for name, value, low, high in (("threshold", threshold, 0.0, 1.0),
                                   ("peel_alpha", peel_alpha, 0.0, 0.5),
                                   ("mass_min", mass_min, 0.0, 1.0)):
        if not low < value < high:
            raise OptionError(f"{name}: must lie strictly between {low:g} and {high:g}, "
                              f"got {value!r}")
    failing = np.asarray(failing, dtype=bool)  # (variants,)
    if failing.shape != (len(inputs),):
        raise OptionError(f"failing: needs one value per row of inputs ({len(inputs)}), got "
                          f"shape {failing.shape}")
    text = [c for c in inputs.columns if not pd.api.types.is_numeric_dtype(inputs[c])]
    if text:
        raise OptionError(f"inputs: PRIM here takes numeric parameters only, {text[0]!r} is not")
    variants, count = len(inputs), int(failing.sum())
    none = {"limits": (), "coverage": np.nan, "density": np.nan, "mass": np.nan, "chosen": None,
            "trajectory": pd.DataFrame(columns=list(_TRAJECTORY))}
    if count == 0:
        return PrimBox(variants, count, threshold, note="no variant fails: there is no box to "
                       "find", **none)
    if count == variants:
        return PrimBox(variants, count, threshold, note="every variant fails: the failure does "
                       "not depend on the swept ranges", **none)
    steps = _peel(inputs.astype(float).reset_index(drop=True), failing, peel_alpha, mass_min)
    trajectory = pd.DataFrame(
        [{"coverage": s["coverage"], "density": s["density"], "mass": s["mass"],
          "restricted": int(sum(limit.restricted for limit in s["limits"]))} for s in steps])
    dense = trajectory[trajectory["density"] >= threshold]
    chosen = int(dense.sort_values(["coverage", "density"], ascending=False).index[0]
                  if len(dense) else trajectory["density"].idxmax())
    values = inputs.to_numpy(dtype=float)  # (variants, parameters)
    limits, dropped = _lift_insignificant(values, failing, list(steps[chosen]["limits"]))
    inside = _inside(values, limits)  # (variants,)
    return PrimBox(variants, count, threshold, limits=tuple(limits),
                   coverage=float(failing[inside].sum() / count),
                   density=float(failing[inside].mean()), mass=float(inside.mean()),
                   chosen=chosen, trajectory=trajectory, dropped=tuple(dropped))


def _inside(values: np.ndarray, limits: list[BoxLimit]) -> np.ndarray:
    """Which rows of ``values`` (variants, parameters) lie in the box; shape (variants,)."""
    low = np.array([limit.low for limit in limits])
    high = np.array([limit.high for limit in limits])
    # all() over an axis of a 2-D array is an array; numpy's stubs allow a scalar too.
    return np.asarray(((values >= low) & (values <= high)).all(axis=1))


def _lift_insignificant(values: np.ndarray, failing: np.ndarray, limits: list[BoxLimit]
                        ) -> tuple[list[BoxLimit], list[str]]:
    """Lift, least significant first, each restriction with a quasi-p-value above 0.05."""
    dropped: list[str] = []
    while True:
        inside = _inside(values, limits)
        cases, hits = int(inside.sum()), int(failing[inside].sum())
        worst, where = SIGNIFICANCE, None
        for k, limit in enumerate(limits):
            if not limit.restricted:
                continue
            wider = [*limits[:k], _lifted(limit), *limits[k + 1:]]
            base_rate = failing[_inside(values, wider)].mean()
            # P(at least `hits` failures among the box's cases at the wider box's density).
            quasi_p = float(stats.binom.sf(hits - 1, cases, base_rate))
            if quasi_p > worst:
                worst, where = quasi_p, k
        if where is None:
            return limits, dropped
        dropped.append(limits[where].parameter)
        limits[where] = _lifted(limits[where])


def _lifted(limit: BoxLimit) -> BoxLimit:
    return attrs.evolve(limit, low=limit.swept_low, high=limit.swept_high, restricted=False)


def _peel(inputs: pd.DataFrame, failing: np.ndarray, peel_alpha: float,
          mass_min: float) -> list[dict]:
    """EMA Workbench's peeling trajectory, each step as fractions and :class:`BoxLimit`s."""
    # Imported here, with its import-time and pandas deprecation warnings silenced (pytest
    # makes warnings errors) and its INFO log quietened: the Workbench is slow to import and
    # warns about optional parallel back-ends this use never needs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis.prim import Prim

        logger = logging.getLogger("EMA")
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            # The Workbench counts values >= its threshold as cases of interest, and returns
            # an empty "dump" box when the final box's density is below it. The smallest
            # positive threshold counts the failing variants (1) only and always keeps the
            # whole trajectory; the step is chosen against the user's threshold above.
            box = Prim(inputs, failing.astype(int), threshold=np.finfo(float).tiny,
                       peel_alpha=peel_alpha, mass_min=mass_min).find_box()
        finally:
            logger.setLevel(level)
    whole = box.box_lims[0]  # rows 0 (low) and 1 (high): the variants' own range
    steps = []
    for i, row in box.peeling_trajectory.iterrows():
        lims = box.box_lims[i]
        limits = tuple(BoxLimit(
            parameter=str(name), low=float(lims.at[0, name]), high=float(lims.at[1, name]),
            swept_low=float(whole.at[0, name]), swept_high=float(whole.at[1, name]),
            restricted=bool(lims.at[0, name] > whole.at[0, name]
                            or lims.at[1, name] < whole.at[1, name]))
            for name in inputs.columns)
        steps.append({"coverage": float(row["coverage"]), "density": float(row["density"]),
                      "mass": float(row["mass"]), "limits": limits})
    return steps
