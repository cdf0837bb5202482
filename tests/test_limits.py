"""Limits checked before anything is written: input files' kind and size, draws, variants,
workers.

The commands run as subprocesses, with a cap on their memory and a time-out, because what each
test refuses would otherwise hang (a FIFO), fill the memory (``/dev/zero``, a trillion draws) or
run for hours: a regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sim import limits
from sim.errors import OptionError, ResultsError, ScenarioError
from sim.files import read_json
from sim.montecarlo import check_size
from sim.sweeps.executors import executor

ROOT = Path(__file__).resolve().parents[1]
#: Address space a refused command may use: enough to start (about 1 GB with the kernels),
#: far from what a runaway would take.
_MEMORY_CAP = 2 * 2**30

SWEEP = """\
[sweep]
base = "analytic"
design = "{design}"
{samples}
draws = {draws}

[[sweep.parameters]]
key = "defaults.policy.adjustment"
{parameter}
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_CAP, _MEMORY_CAP))


def _summit(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``summit ARGS`` in ``folder``, capped in memory; a hang fails after two minutes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120, preexec_fn=_cap_memory)


def _assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2 with one line holding ``words``, no traceback; return the line."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    os.mkfifo(path)
    return path


# --- case 5: every file read must be a regular file of bounded size ----------------------------


def test_a_device_as_a_sweep_file_is_refused_at_once(tmp_path):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    done = _summit(tmp_path, "sweep", "/dev/zero", "--out", "out")
    _assert_refused(done, "/dev/zero", "not a regular file")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["sweep", "validate"])
def test_a_fifo_as_a_sweep_file_is_refused_without_waiting_for_a_writer(tmp_path, command):
    fifo = _fifo(tmp_path / "sweep.toml")
    args = ["sweep", str(fifo), "--out", "out"] if command == "sweep" else ["validate",
                                                                           str(fifo)]
    _assert_refused(_summit(tmp_path, *args), "sweep.toml")
    assert not (tmp_path / "out").exists()


def test_a_scenario_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    padding = "# padding\n" * (limits.MAX_FILE_BYTES // 10 + 1)
    big.write_text(f'{padding}[scenario]\nname = "big"\n', encoding="utf-8")
    _assert_refused(_summit(tmp_path, "validate", str(big)), "big.toml", "over the limit",
                    f"{limits.MAX_FILE_BYTES:,}")


def test_a_fifo_in_place_of_a_run_record_is_refused(tmp_path):
    # summit report reads summary.json; a FIFO put there must not hang it.
    folder = tmp_path / "run"
    folder.mkdir()
    fifo = _fifo(folder / "summary.json")
    refused: list[BaseException] = []

    def read() -> None:
        try:
            read_json(fifo)
        except ResultsError as err:
            refused.append(err)

    # On a thread: a regression that waits for a writer fails the test rather than hangs it.
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "read_json waited on a FIFO"
    assert refused and "not a regular file" in str(refused[0])


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing", "binary"])
def test_read_text_refuses_what_is_not_a_text_file_in_one_error(tmp_path, kind):
    path = tmp_path / "file.toml"
    if kind == "fifo":
        _fifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00")

    def fail(key, problem):
        return ScenarioError(path, key, problem)

    with pytest.raises(ScenarioError, match=r"file\.toml: (is not a regular|is a folder|no such"
                                            r"|cannot be read: not UTF-8)"):
        limits.read_text(path, fail)


def test_read_text_reads_a_file_at_the_limit(tmp_path):
    path = tmp_path / "file.toml"
    path.write_text("x" * 100, encoding="utf-8")

    def fail(key, problem):
        return ScenarioError(path, key, problem)

    assert limits.read_text(path, fail, limit=100) == "x" * 100
    path.write_text("x" * 101, encoding="utf-8")
    with pytest.raises(ScenarioError, match="101 bytes, over the limit of 100"):
        limits.read_text(path, fail, limit=100)


# --- case 6: draws, variants and grids over their limits, refused before anything is written --


def test_a_trillion_draws_are_refused_before_the_scenario_is_run(tmp_path):
    done = _summit(tmp_path, "run", "analytic", "--draws", str(10**12), "--out", "out")
    line = _assert_refused(done, "draws", f"{limits.MAX_DRAWS:,}", "estimated")
    assert "days" in line  # the time it would take
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("design", "samples", "draws", "parameter", "key"), [
    ("lhs", "samples = 1000000000", 300, "range = [0.1, 0.6]", "sweep.samples"),
    ("lhs", "samples = 50000", 100_000, "range = [0.1, 0.6]", "sweep.samples"),
    ("lhs", "samples = 4", 10**12, "range = [0.1, 0.6]", "sweep.draws"),
    ("grid", "", 300, "GRID_VALUES", "sweep.parameters"),
], ids=["samples", "variants-times-draws", "draws", "grid"])
def test_a_runaway_sweep_is_refused_before_its_folder_is_made(tmp_path, design, samples, draws,
                                                               parameter, key):
    text = SWEEP.format(design=design, samples=samples, draws=draws, parameter=parameter)
    if parameter == "GRID_VALUES":
        # 1000 x 1000 x 1000 combinations.
        values = "values = [" + ", ".join(f"{(i + 1) * 0.0001:.4f}" for i in range(1000)) + "]"
        keys = ["defaults.policy.adjustment", "defaults.commitment.credibility",
                "defaults.growth.mean"]
        text = text.replace("GRID_VALUES", values)
        for extra in keys[1:]:
            text += f'\n[[sweep.parameters]]\nkey = "{extra}"\n{values}\n'
    (tmp_path / "sweep.toml").write_text(text, encoding="utf-8")
    done = _summit(tmp_path, "sweep", "sweep.toml", "--out", "out")
    _assert_refused(done, f"sweep.toml: {key}", "over the limit", "estimated")
    assert not (tmp_path / "out").exists()


def test_the_limits_are_checked_in_the_library_too():
    with pytest.raises(OptionError, match="draws: 1,000,000,000,000 is over the limit"):
        check_size(10**12, 1)
    check_size(limits.MAX_DRAWS, 1)


# --- case 9: --workers at most a stated multiple of the cores ----------------------------------


def test_more_workers_than_the_limit_are_refused_with_the_limit(tmp_path):
    most = limits.max_workers()
    done = _summit(tmp_path, "run", "analytic", "--draws", "1000", "--workers",
                   str(most + 1), "--out", "out")
    _assert_refused(done, f"workers: {most + 1} is over the limit of {most}",
                    f"{limits.WORKERS_PER_CORE} per core", "estimated memory")
    assert not (tmp_path / "out").exists()
    (tmp_path / "sweep.toml").write_text(SWEEP.format(design="lhs", samples="samples = 2",
                                                      draws=300,
                                                      parameter="range = [0.1, 0.6]"),
                                         encoding="utf-8")
    done = _summit(tmp_path, "sweep", "sweep.toml", "--out", "out", "--workers",
                   str(most + 1))
    _assert_refused(done, f"workers: {most + 1} is over the limit of {most}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["processes", "dask"])
def test_an_executor_takes_at_most_the_workers_limit(name):
    most = limits.max_workers()
    assert executor(name, most).workers == most
    with pytest.raises(OptionError, match=f"over the limit of {most}"):
        executor(name, most + 1)


def test_the_limits_estimate_the_cost_in_planner_units():
    assert "GB" in (limits.workers_problem(limits.max_workers() + 1) or "")
    assert limits.sweep_problem(limits.MAX_VARIANTS, 1) is None
    assert "over the limit" in (limits.sweep_problem(limits.MAX_VARIANTS + 1, 1) or "")
    assert limits.draws_problem(limits.MAX_DRAWS) is None
