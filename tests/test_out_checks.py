"""An --out (or --csv) the command cannot write is refused before any work: exit 2, one line
naming the option and the place, nothing simulated or drawn, nothing left behind (issue 16,
case 13)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from invoke import summit

import sim.files
import sim.montecarlo
import sim.reports.briefing
import sim.reports.compare
import sim.sweeps.sweep

SWEEP = """\
[sweep]
base = "baseline"
design = "grid"
draws = 20

[[sweep.parameters]]
key = "defaults.growth.mean"
values = [0.01, 0.02]
"""


@pytest.fixture
def no_work(monkeypatch):
    """Make simulating, sweeping, drawing and comparing fail: a refusal must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command worked before checking where it writes")

    monkeypatch.setattr(sim.montecarlo, "run", refuse)
    monkeypatch.setattr(sim.sweeps.sweep, "sweep", refuse)
    monkeypatch.setattr(sim.reports.briefing, "write_run_report", refuse)
    monkeypatch.setattr(sim.reports.compare, "compare_runs", refuse)


def _commands(baseline_run, tmp_path: Path, place: Path) -> dict[str, list[str]]:
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    folder = str(baseline_run[1])
    return {"run": ["run", "--draws", "100", "--out", str(place / "run")],
            "sweep": ["sweep", str(sweep_file), "--out", str(place / "sweep")],
            "report": ["report", folder, "--out", str(place / "report")],
            "compare": ["compare", folder, folder, "--csv", str(place / "c.csv")]}


def _refused(capsys, args: list[str]) -> str:
    status, out, err = summit(capsys, *args)
    assert status == 2, out + err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("command", ["run", "sweep", "report", "compare"])
def test_an_out_under_a_file_is_refused_before_any_work(baseline_run, tmp_path, capsys,
                                                         no_work, command) -> None:
    plain = tmp_path / "plain-file"
    plain.write_text("not a folder")
    args = _commands(baseline_run, tmp_path, plain)[command]
    err = _refused(capsys, args)
    option = "--csv" if command == "compare" else "--out"
    assert err.startswith(f"{option}: {args[-1]} is under {plain}, which is a file")
    assert plain.read_text() == "not a folder"


@pytest.mark.parametrize("command", ["run", "sweep", "report", "compare"])
def test_a_read_only_place_is_refused_before_any_work(baseline_run, tmp_path, capsys, no_work,
                                                       monkeypatch, command) -> None:
    """A read-only mount, injected: every new file there fails with EROFS."""
    place = tmp_path / "mount"
    place.mkdir()
    real = os.open

    def read_only(path, flags, *args, **kwargs):
        if Path(path).parent == place and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(sim.files.os, "open", read_only)
    args = _commands(baseline_run, tmp_path, place)[command]
    err = _refused(capsys, args)
    assert f": cannot write in {place}: Read-only file system" in err
    assert list(place.iterdir()) == []


def test_a_folder_without_write_permission_is_refused(baseline_run, tmp_path, capsys,
                                                      no_work) -> None:
    place = tmp_path / "locked"
    place.mkdir()
    place.chmod(0o555)
    try:
        if os.access(place, os.W_OK):
            pytest.skip("this user writes past permissions (the superuser)")
        err = _refused(capsys, _commands(baseline_run, tmp_path, place)["run"])
        assert f"cannot write in {place}: Permission denied" in err
    finally:
        place.chmod(0o755)
