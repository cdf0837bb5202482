"""Test settings: Hypothesis profiles (CI is derandomized), and shared fixtures.

No test may depend on how fast the machine is: a suite beside two others on two cores runs
several times slower than alone. So every profile has no deadline and no too-slow health check
(Hypothesis's only checks on time), and a warning that only says something took long is not an
error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: Every profile: no limit on the time an example, or generating one, may take.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=25, derandomize=True, **_UNTIMED)
settings.register_profile("dev", max_examples=25, **_UNTIMED)
settings.register_profile("thorough", max_examples=300, **_UNTIMED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config: pytest.Config) -> None:
    # Dask warns when creating its scratch folder took over a second, which on a loaded machine
    # it may; with warnings as errors the cluster would fail to start. Later lines take
    # precedence over pyproject's "error".
    config.addinivalue_line("filterwarnings", "ignore:Creating scratch directories is taking "
                            "a surprisingly long time:UserWarning")


@pytest.fixture
def write_toml(tmp_path: Path):
    """Write a TOML text to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory):
    """A small baseline run and the folder ``write_outputs`` wrote it to (no aid)."""
    return _small_run("baseline", tmp_path_factory.mktemp("baseline-run"))


@pytest.fixture(scope="session")
def aid_run(tmp_path_factory):
    """A small ``udcg-2026`` run (spending and aid) and the folder it was written to."""
    return _small_run("udcg-2026", tmp_path_factory.mktemp("udcg-run"))


def _small_run(name: str, out: Path):
    import sim
    from sim.reports.run_files import write_outputs

    results = sim.run(sim.load_scenario(name), draws=2000, seed=3)
    write_outputs(results, out)
    return results, out
