"""Fixtures the report tests share: a tiny real Sobol sweep, run once a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import sweep

SWEEP = """
[sweep]
base = "baseline"
design = "sobol"
samples = 8
seed = 3
draws = 200

[[sweep.parameters]]
key = "defaults.commitment.follow"
range = [0.05, 0.5]

[[sweep.parameters]]
key = "defaults.related.adjustment"
range = [0.1, 0.6]
"""


@pytest.fixture(scope="session")
def small_sobol_sweep(tmp_path_factory) -> Path:
    """A tiny real Sobol sweep folder: 2 inputs, 8 samples (32 variants), 200 draws each."""
    folder = tmp_path_factory.mktemp("small-sobol")
    (folder / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    sweep(folder / "sweep.toml", out=folder / "out")
    return folder / "out"
