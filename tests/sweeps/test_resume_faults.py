"""Resuming a sweep under faults: a second writer, a journal that is not the sweep's, inputs that
changed since the sweep started. Each is refused in one line with exit 2 and no file changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from invoke import summit

import sim.resources
from sim import sweep
from sim.files import JOURNAL

ROOT = Path(__file__).resolve().parents[2]

SWEEP = """
[sweep]
base = "baseline"
design = "lhs"
samples = {samples}
seed = 9
draws = {draws}

[[sweep.parameters]]
key = "defaults.commitment.follow"
range = [0.1, 0.6]
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _refused(capsys, *args: str) -> str:
    """``summit ARGS``'s one line of refusal (asserting exit 2 and one line)."""
    status, _, err = summit(capsys, *args)
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip()


# --- a second writer -----------------------------------------------------------------------------

#: A sweep whose variant 2 waits for the file ``go`` beside the folder, after saying so in the
#: file ``waiting``: the first sweep, held mid-run while the test starts a second writer.
HELD_MID_SWEEP = """
import importlib, sys, time
from pathlib import Path
from sim.cli import main

module = importlib.import_module("sim.sweeps.sweep")
run_variant = module.run_variant
out = Path(sys.argv[2])

def run_or_wait(base, index, *args):
    if index == 2:
        (out.parent / "waiting").touch()
        while not (out.parent / "go").exists():
            time.sleep(0.05)
    return run_variant(base, index, *args)

module.run_variant = run_or_wait
main(["sweep", sys.argv[1], "--out", sys.argv[2]])
"""


def test_a_resume_while_the_sweep_runs_is_refused_and_the_table_stays_whole(
        write_toml, tmp_path, capsys) -> None:
    path = write_toml(SWEEP.format(samples=5, draws=200), "sweep.toml")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-c", HELD_MID_SWEEP, str(path), str(out)],
                             env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "waiting").exists():
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first sweep never reached variant 2"
            time.sleep(0.05)
        before = _files(out)
        line = _refused(capsys, "sweep", str(path), "--out", str(out), "--resume")
        assert line.startswith(f"--resume: {out} is being written by another summit command")
        assert str(tmp_path / ".out.lock") in line  # the lock file, beside the folder
        assert _files(out) == before
        line = _refused(capsys, "sweep", str(path), "--out", str(out))
        assert "is being written by another summit command" in line
    finally:
        (tmp_path / "go").touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    table = pd.read_csv(out / "results.csv")
    assert list(table["index"]) == list(range(5))
    assert (table["status"] == "ok").all()
    assert len((out / JOURNAL).read_text().splitlines()) == 5
    assert not (tmp_path / ".out.lock").exists()  # released, and removed with it


# --- a journal that is not the sweep's -----------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path, list[str], str]:
    """A finished two-variant sweep: its sweep file, its folder, its journal's lines, and a
    line of another sweep's journal (one more draw)."""
    folder = tmp_path_factory.mktemp("finished")
    path = folder / "sweep.toml"
    path.write_text(SWEEP.format(samples=2, draws=200), encoding="utf-8")
    other = folder / "other.toml"
    other.write_text(SWEEP.format(samples=2, draws=201), encoding="utf-8")
    sweep(path, out=folder / "out")
    sweep(other, out=folder / "other")
    lines = (folder / "out" / JOURNAL).read_text(encoding="utf-8").splitlines()
    return path, folder / "out", lines, (folder / "other" / JOURNAL).read_text().splitlines()[0]


def _row(line: str, **changes: object) -> str:
    return json.dumps({**json.loads(line), **changes})


@pytest.mark.parametrize(("damage", "problem"), [
    (lambda lines, other: [lines[0], other], "written by another sweep"),
    (lambda lines, other: [*lines, '{"index": 250}'], "digest differs"),
    (lambda lines, other: [*lines, _row(lines[0], index=250)],
     "index must be a whole number from 0 to 1, got 250"),
    (lambda lines, other: [_row(lines[0], index=-1), lines[1]],
     "index must be a whole number from 0 to 1, got -1"),
    (lambda lines, other: [lines[0], _row(lines[1], index=True)],
     "index must be a whole number from 0 to 1, got True"),
    (lambda lines, other: [lines[0], _row(lines[1], index=0)],
     "but variant 0 has"),
    (lambda lines, other: [lines[0], _row(lines[1], status="done")],
     "status must be ok or failed"),
    (lambda lines, other: [lines[0], _row(lines[1], alliance_meets_goal="0.5")],
     "alliance_meets_goal must be a probability from 0 to 1, got '0.5'"),
    (lambda lines, other: [lines[0], _row(lines[1], alliance_meets_goal=1.5)],
     "alliance_meets_goal must be a probability"),
    (lambda lines, other: [lines[0], "[1, 2]"], "must be a JSON object, got list"),
    (lambda lines, other: [lines[0], "true"], "must be a JSON object, got bool"),
    (lambda lines, other: [lines[0], '{"index": 1', lines[1]], "not a JSON row"),
    (lambda lines, other: [lines[0], b"\xff\xfe".decode("latin-1")], "not UTF-8 text"),
], ids=["another-sweeps-row", "index-alone", "index-out-of-range", "negative-index",
        "true-as-index", "values-of-another-variant", "unknown-status", "p-as-a-string",
        "p-above-1", "a-list", "a-bare-true", "a-cut-line-mid-journal", "invalid-utf-8"])
def test_a_journal_row_that_is_not_the_sweeps_is_refused_and_nothing_changes(
        finished, tmp_path, capsys, damage, problem) -> None:
    path, folder, lines, other = finished
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    text = "".join(line + "\n" for line in damage(lines, other))
    # latin-1 keeps the invalid bytes of the last case as they are
    (out / JOURNAL).write_bytes(text.encode("latin-1" if "\xff" in text else "utf-8"))
    before = _files(out)
    line = _refused(capsys, "sweep", str(path), "--out", str(out), "--resume")
    assert line.startswith(f"{out / JOURNAL}: line ")
    assert problem in line
    assert _files(out) == before


def test_a_journal_of_whole_rows_and_a_cut_last_line_resumes(finished, tmp_path) -> None:
    path, folder, lines, _ = finished
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    (out / JOURNAL).write_text(lines[1] + "\n" + lines[0][:30], encoding="utf-8")
    table = sweep(path, out=out, resume=True)
    assert (out / "results.csv").read_bytes() == (folder / "results.csv").read_bytes()
    assert list(table["index"]) == [0, 1]


# --- inputs changed since the sweep started ------------------------------------------------------


@pytest.fixture
def calibration_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped calibration folder the project reads instead, to edit."""
    package = tmp_path / "package"
    shipped = package / "_shipped"
    shipped.mkdir(parents=True)
    shutil.copytree(sim.resources.calibration_dir(), shipped / "calibration")
    (shipped / "scenarios").symlink_to(sim.resources.scenarios_dir())
    monkeypatch.setattr(sim.resources, "_PACKAGE", package)
    return shipped / "calibration"


@pytest.mark.parametrize("changed", ["parameters.toml", "data/gdp_current_usd.csv"])
def test_a_resume_after_the_calibration_changed_is_refused(calibration_copy, write_toml,
                                                           tmp_path, capsys, changed) -> None:
    path = write_toml(SWEEP.format(samples=2, draws=200), "sweep.toml")
    out = tmp_path / "out"
    sweep(path, out=out)
    # Interrupted after its first row: the resume would run the second on the new calibration.
    lines = (out / JOURNAL).read_text(encoding="utf-8").splitlines()
    (out / JOURNAL).write_text(lines[0] + "\n", encoding="utf-8")
    with open(calibration_copy / changed, "a", encoding="utf-8") as edited:
        edited.write("\n" if changed.endswith(".csv") else "# refitted\n")
    before = _files(out)
    line = _refused(capsys, "sweep", str(path), "--out", str(out), "--resume")
    assert line == (f"--resume: {out / 'manifest.json'}: calibration/{changed} changed since "
                    "the sweep started; its rows would mix two calibrations: run the sweep "
                    "again into a new folder")
    assert _files(out) == before


def test_a_resume_by_another_version_is_refused(write_toml, tmp_path, capsys,
                                                monkeypatch) -> None:
    import sim.sweeps.record

    path = write_toml(SWEEP.format(samples=2, draws=200), "sweep.toml")
    out = tmp_path / "out"
    sweep(path, out=out)
    before = _files(out)
    monkeypatch.setattr(sim.sweeps.record, "__version__", "99.0")
    line = _refused(capsys, "sweep", str(path), "--out", str(out), "--resume")
    assert "was started by summit-sim" in line and "this is 99.0" in line
    assert _files(out) == before


def test_a_manifest_without_the_inputs_digest_is_refused(finished, tmp_path, capsys) -> None:
    path, folder, _, _ = finished
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["inputs"]  # as written before the digest covered the calibration
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = _files(out)
    line = _refused(capsys, "sweep", str(path), "--out", str(out), "--resume")
    assert "records no digest of this sweep's inputs" in line
    assert _files(out) == before
