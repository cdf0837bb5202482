"""A pool's processes run the caller's ``sim``, whatever folder the caller runs in.

The fork server behind a pool imports the engine before any pool process starts. Started as the
standard library starts it (``python -c``), it looked for ``sim`` in its working directory (the
caller's) first: a caller working in a folder that holds another package named ``sim`` (an older
checkout, a worktree) got pool processes silently running that other code. These tests run the
real ``sim`` from a script in one folder, working in another that holds a decoy ``sim``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim import montecarlo
from sim.errors import WorkerError
from sim.pool import pool_context
from tests.invoke import summit
from tests.test_pool import SWEEP, _assert_clean, _digest

ROOT = Path(__file__).resolve().parents[1]

#: A package named ``sim`` that records, in the file ``MARKER``, that it was imported.
DECOY = """\
from pathlib import Path

Path({marker!r}).write_text("the decoy sim was imported", encoding="utf-8")
"""

RUN_SCRIPT = """\
import hashlib

import attrs

import sim
from sim.spending.tally import Tally

results = sim.run(sim.load_scenario("analytic"), draws=3_000, seed=11, block_size=512, workers=2)
counts = b"".join(getattr(results.tally, f.name).tobytes() for f in attrs.fields(Tally)
                  if f.name != "draws")
print(sim.__file__)
print(hashlib.sha256(counts).hexdigest())
"""

SWEEP_SCRIPT = """\
import sim

sim.sweep("sweep.toml", out="two", workers=2)
print(sim.__file__)
"""


def _run_beside_a_decoy(tmp_path: Path, script: str) -> tuple[Path, list[str]]:
    """Run ``script`` from its own folder, working in a folder that holds a decoy ``sim``; return
    the working folder and the script's output lines, once it has run cleanly."""
    scripts, work = tmp_path / "scripts", tmp_path / "work"
    (work / "sim").mkdir(parents=True)
    scripts.mkdir()
    marker = tmp_path / "decoy-imported"
    (work / "sim" / "__init__.py").write_text(DECOY.format(marker=str(marker)), encoding="utf-8")
    (work / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    (scripts / "example.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(scripts / "example.py")], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    _assert_clean(done)
    assert not marker.exists(), "a pool process imported the decoy sim"
    lines = done.stdout.split()
    assert lines[0] == str(ROOT / "sim" / "__init__.py")  # the caller ran the real sim
    return work, lines[1:]


def test_a_run_on_two_workers_beside_another_sim_runs_the_callers(tmp_path):
    _, (digest,) = _run_beside_a_decoy(tmp_path, RUN_SCRIPT)
    one = sim.run(sim.load_scenario("analytic"), draws=3_000, seed=11, block_size=512)
    assert digest == _digest(one)  # bit-identical to one worker


def test_a_sweep_on_two_workers_beside_another_sim_runs_the_callers(tmp_path):
    work, _ = _run_beside_a_decoy(tmp_path, SWEEP_SCRIPT)
    sim.sweep(work / "sweep.toml", out=tmp_path / "one", workers=1)
    assert ((work / "two" / "results.csv").read_bytes()
            == (tmp_path / "one" / "results.csv").read_bytes())


@pytest.fixture
def elsewhere(monkeypatch):
    """Pool processes told that their caller runs a ``sim`` at another path."""
    other = "/elsewhere/sim/__init__.py"
    monkeypatch.setattr("sim.pool._caller_sim", lambda: other)
    return other


def test_a_pool_process_running_another_sim_fails_naming_both(elsewhere):
    with pytest.raises(WorkerError) as raised:
        sim.run(sim.load_scenario("analytic"), draws=2_000, seed=1, block_size=512, workers=2)
    message = str(raised.value)
    assert message.splitlines() == [message]
    assert f"not from {elsewhere}" in message
    assert f"runs sim from {os.path.realpath(sim.__file__)}" in message


def test_a_run_whose_pool_cannot_start_stops_counting_at_once(elsewhere, monkeypatch):
    # Not after this process has counted every block alone: the pool's failure stops its claims.
    counted = []
    simulate_blocks = montecarlo.simulate_blocks

    def counting(*args, **kwargs):
        counted.append(1)
        return simulate_blocks(*args, **kwargs)

    monkeypatch.setattr(montecarlo, "simulate_blocks", counting)
    with pytest.raises(WorkerError, match=f"not from {elsewhere}"):
        sim.run(sim.load_scenario("analytic"), draws=512 * 4000, seed=1, block_size=512,
                workers=2)
    assert len(counted) < 4000


def test_a_pool_process_of_a_sweep_running_another_sim_fails(elsewhere):
    from sim.sweeps.executors import ProcessPool

    with pytest.raises(WorkerError, match=f"not from {elsewhere}"):
        list(ProcessPool(2).map_unordered(abs, [(-1,), (-2,)]))


def test_the_cli_says_a_pool_runs_another_sim_in_one_line(elsewhere, capsys, tmp_path):
    status, _, err = summit(capsys, "run", "analytic", "--draws", "2000", "--workers", "2",
                            "--out", str(tmp_path / "out"))
    assert status == 2
    assert err.strip().splitlines() == [err.strip()]
    assert "Traceback" not in err and f"not from {elsewhere}" in err
    assert not (tmp_path / "out").exists()


def test_pools_leave_the_standard_fork_server_alone():
    # The standard library's server is the caller's for its own forkserver processes: a pool
    # neither starts it nor sets what it preloads.
    from multiprocessing import forkserver

    before = list(forkserver._forkserver._preload_modules), forkserver._forkserver._forkserver_pid
    pool_context(["sim.montecarlo"])
    sim.run(sim.load_scenario("analytic"), draws=2_000, seed=1, block_size=512, workers=2)
    assert (forkserver._forkserver._preload_modules, forkserver._forkserver._forkserver_pid
            ) == before
