"""Pools from scripts: a run or a sweep on two workers from a script with no ``__main__`` guard.

Each test runs a script in a fresh interpreter, as a user would: saved as a file beside its
output, or piped to ``python -``. With the standard forkserver start method, every pool process
ran such a script again (and died starting a pool of its own), or could not find it at all.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

import sim
from sim.spending.tally import Tally

ROOT = Path(__file__).resolve().parents[1]

#: The run of the README's example, smaller, as a script without a guard: it prints its counts'
#: digest (see _digest).
RUN_SCRIPT = """\
import hashlib

import attrs

import sim
from sim.spending.tally import Tally

scenario = sim.load_scenario("analytic")
results = sim.run(scenario, draws=3_000, seed=11, block_size=512, workers=2)
counts = b"".join(getattr(results.tally, f.name).tobytes() for f in attrs.fields(Tally)
                  if f.name != "draws")
print(hashlib.sha256(counts).hexdigest())
"""

SWEEP = """\
[sweep]
base = "analytic"
design = "lhs"
samples = 4
seed = 3
draws = 300

[[sweep.parameters]]
key = "defaults.policy.adjustment"
range = [0.1, 0.6]
"""

SWEEP_SCRIPT = """\
import sim

sim.sweep("sweep.toml", out="two", workers=2)
"""


def _digest(results: sim.Results) -> str:
    counts = b"".join(getattr(results.tally, f.name).tobytes() for f in attrs.fields(Tally)
                      if f.name != "draws")
    return hashlib.sha256(counts).hexdigest()


def _python(args: list[str], folder: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)


def _assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "leaked" not in done.stderr  # semaphores left behind by a broken pool


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_script_without_a_main_guard_runs_on_two_workers(tmp_path, how):
    if how == "file":
        (tmp_path / "example.py").write_text(RUN_SCRIPT, encoding="utf-8")
        done = _python(["example.py"], tmp_path)
    else:
        done = _python(["-"], tmp_path, stdin=RUN_SCRIPT)
    _assert_clean(done)
    one = sim.run(sim.load_scenario("analytic"), draws=3_000, seed=11, block_size=512)
    assert done.stdout.strip() == _digest(one)  # bit-identical to one worker


def test_a_script_without_a_main_guard_sweeps_on_two_workers(tmp_path):
    (tmp_path / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    (tmp_path / "example.py").write_text(SWEEP_SCRIPT, encoding="utf-8")
    _assert_clean(_python(["example.py"], tmp_path))
    sim.sweep(tmp_path / "sweep.toml", out=tmp_path / "one", workers=1)
    assert ((tmp_path / "two" / "results.csv").read_bytes()
            == (tmp_path / "one" / "results.csv").read_bytes())


#: A run long enough to be killed while its pool counts, and a sweep likewise; each prints
#: "started" once its pool is up.
LONG_RUN_SCRIPT = """\
import sim

sim.run(sim.load_scenario("analytic"), draws=50_000_000, block_size=512, workers=3)
"""
LONG_SWEEP = SWEEP.replace("samples = 4", "samples = 2000").replace("draws = 300", "draws = 3000")
LONG_SWEEP_SCRIPT = """\
import sim

sim.sweep("sweep.toml", out="killed", workers=2)
"""


def _pool_processes(parent: Any, wanted: int) -> list[Any]:
    """The processes ``parent`` started (the fork server, the pool's, the resource tracker),
    once at least ``wanted`` pool processes (grandchildren) are running; a failure if they never
    start: a kill test that never saw its pool would prove nothing."""
    for _ in range(600):
        children = parent.children(recursive=True)
        grandchildren = [p for p in children if p.ppid() != parent.pid]
        if len(grandchildren) >= wanted:
            return children
        if parent.status() == "zombie" or not parent.is_running():
            break
        time.sleep(0.1)
    pytest.fail("the pool's processes never started within 60 s")


#: The pool processes of the long run (3 workers) and sweep (2): a pool runs beside its caller.
@pytest.mark.parametrize(("script", "pool"), [(LONG_RUN_SCRIPT, 2), (LONG_SWEEP_SCRIPT, 1)],
                         ids=["run", "sweep"])
def test_a_pool_dies_with_the_process_that_started_it(tmp_path, script, pool):
    # kill -9 of the main process (nothing of it can clean up): every process it started must
    # go within seconds, not count on at 100% CPU and then block forever.
    psutil = pytest.importorskip("psutil", reason="psutil lists a process's children")
    (tmp_path / "sweep.toml").write_text(LONG_SWEEP, encoding="utf-8")
    (tmp_path / "example.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    main = subprocess.Popen([sys.executable, "example.py"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = _pool_processes(psutil.Process(main.pid), pool)
    finally:
        main.kill()
        main.wait()
    _, alive = psutil.wait_procs(started, timeout=20)
    for process in alive:  # don't leave them running after a failure
        process.kill()
    assert not alive, f"left running: {[p.pid for p in alive]}"


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_killed_pool_process_is_one_line_not_a_traceback(tmp_path, command):
    # A sweep runs the dead process's variants again and finishes; a run, whose dead process
    # took its counts with it, stops with one line and exit 2, writing nothing.
    psutil = pytest.importorskip("psutil", reason="psutil lists a process's children")
    # Enough variants that the sweep is still running when its worker is killed (~5 s).
    (tmp_path / "sweep.toml").write_text(LONG_SWEEP.replace("samples = 2000", "samples = 400"),
                                         encoding="utf-8")
    args = (["sweep", "sweep.toml", "--out", "out", "--workers", "2"] if command == "sweep"
            else ["run", "analytic", "--draws", "20000000", "--workers", "3", "--out", "out"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    main = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        parent = psutil.Process(main.pid)
        _pool_processes(parent, 2 if command == "run" else 1)  # 3 workers; 2
        if command == "sweep":  # mid-sweep: once a variant is in the journal
            journal = tmp_path / "out" / "journal.jsonl"
            for _ in range(600):
                if journal.is_file() and journal.read_text(encoding="utf-8").strip():
                    break
                time.sleep(0.1)
        worker = next(p for p in parent.children(recursive=True) if p.ppid() != parent.pid
                      and "resource_tracker" not in " ".join(p.cmdline()))
        worker.kill()
        _, err = main.communicate(timeout=300)
    finally:
        main.kill()
        main.wait()
    assert "Traceback" not in err, err
    if command == "sweep":
        assert main.returncode == 0, err
        assert "400 variants (0 failed)" in err
    else:
        assert main.returncode == 2, err
        assert err.strip().splitlines() == [err.strip()]
        assert "a pool process died" in err
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("moment", ["asked", "forked"])
def test_a_process_dying_as_the_pool_starts_another_is_a_broken_pool(tmp_path, monkeypatch,
                                                                     moment):
    # When a pool process dies, the pool ends the others it knows of and closes its queues.
    # The second process here is started just then, every time: asked for (its pickle not yet
    # made: the closed queues cannot be pickled, which raised OSError out of submit) or forked
    # (not yet known to the pool, which then waited for it for ever as it shut down).
    from concurrent.futures.process import BrokenProcessPool

    import pool_faults

    from sim import pool as pools

    psutil = pytest.importorskip("psutil", reason="psutil lists a process's children")
    flag = tmp_path / "die"
    first_failed = threading.Event()
    launched = []

    def second_waits() -> None:
        launched.append(moment)
        if len(launched) == 2:
            flag.touch()  # the first process dies...
            assert first_failed.wait(30)
            time.sleep(0.3)  # ...and the pool, broken, ends the processes it knows of

    if moment == "asked":
        launch = pools._PoolPopen._launch

        def launch_late(popen: Any, process: Any) -> None:
            second_waits()
            launch(popen, process)

        monkeypatch.setattr(pools._PoolPopen, "_launch", launch_late)
    else:
        connect = pools._server.connect_to_new_process

        def connect_late(fds: Any) -> Any:
            made = connect(fds)
            second_waits()
            return made

        monkeypatch.setattr(pools._server, "connect_to_new_process", connect_late)
    context = pools.pool_context(["pool_faults"])
    raised = []

    def work() -> None:
        try:
            with context.executor(2) as pool:
                first = pool.submit(pool_faults.die_once_told, str(flag))
                first.add_done_callback(lambda _: first_failed.set())
                pool.submit(os.getpid).result()
        except BrokenProcessPool as error:
            raised.append(error)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(60)
    hung = worker.is_alive()
    if hung:  # let the pool's shutdown finish before failing
        for process in psutil.Process().children(recursive=True):
            if process.ppid() != os.getpid():
                process.kill()
        worker.join(30)
    assert len(launched) == 2
    assert not hung, "the pool's shutdown waited on a process it never ended"
    assert raised
