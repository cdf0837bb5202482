"""Fixtures the report tests share: a tiny real Sobol sweep, run once a session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_files import RELATED, WIDE_FOLLOW, sweep_text

from sim import sweep

SWEEP = sweep_text(design="sobol", samples=8, seed=3, draws=200,
                   parameters=(WIDE_FOLLOW, RELATED))


@pytest.fixture(scope="session")
def small_sobol_sweep(tmp_path_factory) -> Path:
    """A tiny real Sobol sweep folder: 2 inputs, 8 samples (32 variants), 200 draws each."""
    folder = tmp_path_factory.mktemp("small-sobol")
    (folder / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    sweep(folder / "sweep.toml", out=folder / "out")
    return folder / "out"
