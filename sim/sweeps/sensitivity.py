"""Global sensitivity: Sobol indices of a sweep's metric, from a sweep on Saltelli's design.

A ``design = "sobol"`` sweep (:func:`sim.sweeps.designs.unit_points`) runs, for each of N base
points, the row of matrix A, D rows that take one column from matrix B, and the row of B. From the
metric in those N * (D + 2) rows, ``SALib.analyze.sobol.analyze`` estimates each parameter's
first-order index S1 (the share of the metric's variance its value alone explains) and total-order
index ST (the share left unexplained if every other parameter were known: its own effect plus all
its interactions), with bootstrap confidence intervals. ``ST - S1`` is what the parameter does only
together with others.

The metric of a variant is itself a Monte Carlo estimate (a probability from a few thousand
draws), so part of its variance is sampling noise that no parameter explains: it lowers every S1
a little and raises small STs, since the estimator attributes noise to whichever column differs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.errors import OptionError

#: The columns of :func:`sobol_indices`'s frame: each index with its 95% interval.
INDEX_COLUMNS = ("S1", "S1_lo", "S1_hi", "ST", "ST_lo", "ST_hi")
CONFIDENCE = 0.95


def check_saltelli(table: pd.DataFrame, parameters: Sequence[str]) -> None:
    """Raise :class:`OptionError` unless ``table`` is a whole Saltelli design over ``parameters``.

    Whole: rows indexed 0..n-1 in order, every variant ``ok``, n a multiple of D + 2, and in each
    block of D + 2 rows the j-th middle row equal to the first except in column j, where it equals
    the last. Any other table (an ``lhs`` or ``grid`` sweep, failed or missing variants) would
    give indices that mean nothing.
    """
    keys = list(parameters)
    missing = [key for key in keys if key not in table.columns]
    if missing:
        raise OptionError(f"parameters: the table has no column {missing[0]!r}")
    width = len(keys) + 2
    rows = len(table)
    if "index" in table.columns and table["index"].tolist() != list(range(rows)):
        raise OptionError(f"the table lacks variants: Sobol indices need every one of the "
                          f"design's variants, in order; it has {rows}, indexed "
                          f"{table['index'].min()} to {table['index'].max()}")
    if rows == 0 or rows % width:
        raise OptionError(f"the table has {rows} variants, not a multiple of parameters + 2 = "
                          f"{width}: not a Saltelli (design = \"sobol\") sweep")
    if "status" in table.columns:
        failed = int((table["status"] != "ok").sum())
        if failed:
            raise OptionError(f"{failed} of {rows} variants failed: Sobol indices need every "
                              "variant of the design to run")
    blocks = table[keys].to_numpy().reshape(rows // width, width, len(keys))  # (N, D + 2, D)
    first, last = blocks[:, 0], blocks[:, -1]  # A and B, (N, D) each
    for j, key in enumerate(keys):
        expected = first.copy()
        expected[:, j] = last[:, j]
        if not (blocks[:, 1 + j] == expected).all():
            raise OptionError(f"the rows do not follow Saltelli's scheme (at {key!r}): not a "
                              "design = \"sobol\" sweep")


def sobol_indices(table: pd.DataFrame, parameters: Sequence[str], metric: str, *, seed: int = 0,
                  resamples: int = 1000) -> pd.DataFrame:
    """First- and total-order Sobol indices of ``metric`` for each parameter, with 95% intervals.

    ``table`` holds the rows of a ``design = "sobol"`` sweep in index order (``results.parquet``),
    ``parameters`` its parameter columns in the sweep's order, ``metric`` the column analysed (a
    probability, say ``alliance_meets_goal``). The intervals are SALib's bootstrap over the N
    base points (``resamples`` resamples, normal approximation at 95%), drawn from a generator
    seeded by ``seed``. Returns a frame indexed by parameter with columns
    :data:`INDEX_COLUMNS`. Raises :class:`OptionError` for a table that is not a whole Saltelli
    design, a metric it lacks or one that takes the same value in every variant.
    """
    # Imported here: SALib is slow to import and only sensitivity reports need it.
    from SALib.analyze import sobol

    if metric not in table.columns:
        raise OptionError(f"metric: the table has no column {metric!r}")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 2:
        raise OptionError(f"resamples: must be a whole number >= 2, got {resamples!r}")
    check_saltelli(table, parameters)
    outcome = table[metric].to_numpy(dtype=float)  # (N * (D + 2),)
    if np.isnan(outcome).any():
        raise OptionError(f"metric: {metric!r} is missing in some variants")
    if np.ptp(outcome) == 0:
        raise OptionError(f"metric: {metric!r} is {outcome[0]:g} in every variant; there is no "
                          "variance to apportion among the parameters")
    # SALib divides by the variance of the base points (the A and B rows, the first and last of
    # each block of D + 2): a metric constant there has indices of 0/0, and SALib only warns. On
    # common random numbers a metric the parameters barely move, a chance near 0 or 1, may be.
    blocks = outcome.reshape(-1, len(parameters) + 2)  # (N, D + 2)
    if np.ptp(blocks[:, [0, -1]]) == 0:
        raise OptionError(f"metric: {metric!r} is {blocks[0, 0]:g} at every base point (the A "
                          "and B rows of Saltelli's scheme), so its indices are 0/0; more "
                          "samples, or more draws for a chance this close to 0 or 1")
    keys = list(parameters)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    # SALib treats seed 0 as "no seed" and then draws from NumPy's global state, so the
    # bootstrap gets a seed derived from ours that is never 0.
    bootstrap_seed = 1 + int(np.random.SeedSequence(seed, spawn_key=(2,)).generate_state(1)[0])
    found = sobol.analyze(problem, outcome, calc_second_order=False, num_resamples=resamples,
                          conf_level=CONFIDENCE, print_to_console=False, seed=bootstrap_seed)
    frame = pd.DataFrame(index=pd.Index(keys, name="parameter"))
    for name in ("S1", "ST"):
        estimate, half = np.asarray(found[name]), np.asarray(found[f"{name}_conf"])  # (D,)
        frame[name], frame[f"{name}_lo"], frame[f"{name}_hi"] = (estimate, estimate - half,
                                                                 estimate + half)
    return frame
