"""Sweep designs: where in the space of the varied keys a sweep's variants fall.

A ``grid`` takes every combination of each parameter's values; ``lhs`` and ``sobol`` take points
of the unit cube (:func:`unit_points`), which each parameter maps to a value of its own
(:meth:`sim.sweeps.spec.Parameter.at`). The design's points and the seeds of variants that run
on streams of their own are streams of the sweep seed apart from each other
(:func:`unit_points`, :func:`variant_seed`); variants on common random numbers run with the
sweep seed itself, whose blocks are ``SeedSequence(seed, spawn_key=(b,))``, apart from both.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

DESIGNS = ("grid", "lhs", "sobol")


def design_size(design: str, samples: int, dimensions: int) -> int:
    """Variants a design of ``samples`` runs: Saltelli's scheme needs D + 2 for each sample."""
    return samples * (dimensions + 2) if design == "sobol" else samples


def grid_points(values: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    """Every combination of the parameters' ``values``, the last parameter varying fastest."""
    return itertools.product(*values)


def unit_points(design: str, samples: int, dimensions: int, seed: int) -> np.ndarray:
    """Points of the unit cube from an ``lhs`` or a ``sobol`` (Saltelli) design.

    ``lhs``: ``samples`` points of a Latin hypercube, shape (samples, dimensions). ``sobol``:
    Saltelli's scheme without second-order terms (``SALib.sample.sobol.sample``, scrambled),
    shape (samples * (dimensions + 2), dimensions): for each of ``samples`` base points, the row
    of matrix A, then D rows that take A's values except column j from B, then the row of B.
    ``SALib.analyze.sobol.analyze`` reads the runs in exactly that order.

    The design's generator is a stream of its own, ``SeedSequence(seed, spawn_key=(0,))``, apart
    from the variants' run seeds.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    if design == "lhs":
        # Imported here: a worker process imports this module for variant_seed alone, and
        # scipy.stats takes most of a second to import.
        from scipy.stats import qmc

        return qmc.LatinHypercube(dimensions, rng=rng).random(samples)
    # Imported here: SALib is needed only for this design, and it is slow to import.
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": dimensions, "names": [f"x{j}" for j in range(dimensions)],
               "bounds": [[0.0, 1.0]] * dimensions}
    return saltelli.sample(problem, samples, calc_second_order=False, scramble=True, seed=rng)


def variant_seed(seed: int, index: int) -> int:
    """The run seed of variant ``index`` on a stream of its own (``independent = true``, or a
    draw layout other than the base's): a function of the sweep seed and the index only."""
    return int(np.random.SeedSequence(seed, spawn_key=(1, index)).generate_state(1)[0])
