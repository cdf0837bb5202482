"""The start-up benchmark's reference: a plain NumPy script that must draw the very numbers a run
draws, or its ratio measures nothing. (Its times are not tested: speed is the benchmark's to
print.)"""

from __future__ import annotations

import subprocess
import sys

import benchmark_scripts
import pytest

import sim
from sim.montecarlo import DEFAULT_BLOCK_SIZE
from sim.spending.inputs import ModelInputs

bench = benchmark_scripts.load("bench_startup")


@pytest.mark.parametrize("scenario", ["baseline", "analytic"])
def test_the_reference_script_draws_a_runs_numbers_block_by_block(scenario) -> None:
    # A full block and a part one; the baseline draws the credibilities' normals and threat
    # events from streams of their own, the analytic scenario neither.
    inputs = ModelInputs.from_scenario(sim.load_scenario(scenario))
    draws = DEFAULT_BLOCK_SIZE + 100
    printed = subprocess.run([sys.executable, "-c", bench.rng_script(inputs, draws), "check"],
                             check=True, capture_output=True, text=True).stdout.split()
    assert len(printed) == 2
    assert printed == bench.engine_digests(inputs, draws)
