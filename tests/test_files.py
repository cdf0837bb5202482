"""Tests of sim.files: telling run from sweep folders, reading their files, writing them whole."""

from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import pytest
from invoke import summit

import sim.cli
import sim.montecarlo
from sim.errors import OptionError, ResultsError
from sim.files import (
    REPORT_FILES,
    RUN_CHARTS,
    atomic_write_bytes,
    atomic_write_text,
    folder_kind,
    lookup,
    read_json,
    read_table,
    remove_stale,
)
from sim.reports.briefing import write_run_report
from sim.reports.run_files import write_outputs
from sim.sweeps.sweep import sweep

SIM = Path(sim.cli.__file__).parent


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "new" / "summary.json"
    atomic_write_text(target, "old\n")
    atomic_write_bytes(target, b"new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert [p.name for p in target.parent.iterdir()] == ["summary.json"]  # no temporary left


def test_an_interrupted_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path,
                                                                                monkeypatch):
    target = tmp_path / "results.csv"
    atomic_write_text(target, "old\n")

    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(p.relative_to(SIM).as_posix() for p in SIM.rglob("*.py")
                                        if p.relative_to(SIM).parts[0] not in
                                        ("reports", "cli.py", "__main__.py")))
def test_no_stage_below_the_reports_imports_them(path):
    upward = {name for name in _imported(SIM / path)
              if name == "sim.reports" or name.startswith("sim.reports.")}
    assert not upward, f"sim/{path} imports {sorted(upward)}"


def test_folder_kind_by_the_file_each_kind_is_written_with(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text("{}")
    assert folder_kind(tmp_path / "run") == "run"
    assert folder_kind(tmp_path / "sweep") == "sweep"
    with pytest.raises(ResultsError, match="neither a run folder"):
        folder_kind(tmp_path)
    with pytest.raises(ResultsError, match="no such folder"):
        folder_kind(tmp_path / "missing")
    with pytest.raises(ResultsError, match="is not a folder"):
        folder_kind(tmp_path / "run" / "summary.json")


def test_read_json_and_lookup_name_the_file_and_key(tmp_path):
    path = tmp_path / "summary.json"
    with pytest.raises(ResultsError, match=r"summary\.json: missing"):
        read_json(path)
    path.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="must hold a JSON object"):
        read_json(path)
    path.write_text('{"allies": {"DEU": {"p": 1}}}')
    document = read_json(path)
    assert lookup(document, "allies.DEU.p", path) == 1
    with pytest.raises(ResultsError) as caught:
        lookup(document, "allies.POL.p", path)
    assert str(caught.value) == f"{path}: allies.POL.p: missing"


def test_read_table_checks_its_columns(tmp_path):
    path = tmp_path / "bands.csv"
    with pytest.raises(ResultsError, match="missing; written by a newer summit-sim"):
        read_table(path, ["year"])
    path.write_text("entity,year\nDEU,2026\n")
    assert read_table(path, ["year"])["entity"].tolist() == ["DEU"]
    with pytest.raises(ResultsError) as caught:
        read_table(path, ["year", "p50"])
    assert str(caught.value) == f"{path}: p50: missing column"
    path.write_text("")
    with pytest.raises(ResultsError, match="cannot be read"):
        read_table(path, ["year"])


# --- a run folder holds one run ----------------------------------------------------------------


def _names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_new_run_removes_the_earlier_runs_files_and_report_and_keeps_the_users(
        aid_run, baseline_run, tmp_path):
    (aid_results, _), (results, _) = aid_run, baseline_run
    out = tmp_path / "run"
    write_outputs(aid_results, out)
    write_run_report(out)
    (out / "notes.txt").write_text("mine")
    (out / "draft.png").write_bytes(b"mine too")
    assert {"aid.csv", "report.html", "aid-triggers.png"} <= set(_names(out))
    written = write_outputs(results, out)
    assert _names(out) == ["allies.csv", "bands.csv", "draft.png", "notes.txt",
                           "probabilities.csv", "summary.json"]
    assert written == [out / "summary.json", out / "allies.csv", out / "bands.csv",
                       out / "probabilities.csv"]
    assert json.loads((out / "summary.json").read_text())["scenario"] == "baseline"
    assert (out / "notes.txt").read_text() == "mine"


def test_summit_run_into_a_reported_folder_leaves_only_the_new_run(baseline_run, tmp_path,
                                                                    capsys):
    _, folder = baseline_run
    out = tmp_path / "run"
    shutil.copytree(folder, out)
    code, _, err = summit(capsys, "report", str(out))
    assert code == 0, err
    code, _, err = summit(capsys, "run", "slow-growth", "--draws", "200", "--out", str(out))
    assert code == 0, err
    assert _names(out) == ["allies.csv", "bands.csv", "probabilities.csv", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["scenario"] == "slow-growth"


@pytest.fixture
def sweep_folder(tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    (folder / "report.html").write_text("the sweep's report")
    return folder


def test_a_run_is_never_written_into_a_sweep_folder(sweep_folder, baseline_run, capsys,
                                                    monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("ran before checking --out")

    monkeypatch.setattr(sim.montecarlo, "run", refuse)
    code, _, err = summit(capsys, "run", "analytic", "--out", str(sweep_folder))
    assert code == 2
    assert err == (f"--out: {sweep_folder} is a sweep folder (manifest.json); write the run "
                   "into a folder of its own\n")
    with pytest.raises(OptionError, match="is a sweep folder"):
        write_outputs(baseline_run[0], sweep_folder)
    assert _names(sweep_folder) == ["manifest.json", "report.html"]


def test_a_sweep_is_never_written_into_a_run_folder(baseline_run, tmp_path, write_toml):
    out = tmp_path / "run"
    shutil.copytree(baseline_run[1], out)
    spec = write_toml('[sweep]\nbase = "analytic"\ndesign = "grid"\ndraws = 100\n'
                      '[[sweep.parameters]]\nkey = "goal.core"\nvalues = [3.0]\n', "s.toml")
    with pytest.raises(OptionError) as caught:
        sweep(spec, out=out)
    assert str(caught.value) == (f"--out: {out} holds a run (summary.json); write the sweep "
                                 "into a folder of its own")
    assert _names(out) == ["allies.csv", "bands.csv", "probabilities.csv", "summary.json"]


def test_a_report_is_never_written_into_another_runs_or_a_sweeps_folder(
        aid_run, baseline_run, sweep_folder, capsys):
    (_, aid_folder), (_, folder) = aid_run, baseline_run
    before = _names(aid_folder)
    code, _, err = summit(capsys, "report", str(folder), "--out", str(aid_folder))
    assert code == 2
    assert err == (f"--out: {aid_folder} holds another run (summary.json); write the report "
                   "into the run's own folder (the default) or a folder of its own\n")
    with pytest.raises(OptionError, match="is a sweep folder"):
        write_run_report(folder, sweep_folder)
    assert _names(aid_folder) == before
    assert (sweep_folder / "report.html").read_text() == "the sweep's report"


def test_a_report_folder_holds_one_report(aid_run, baseline_run, tmp_path):
    (_, aid_folder), (_, folder) = aid_run, baseline_run
    out = tmp_path / "report"
    write_run_report(aid_folder, out)
    assert (out / "aid-delivered.png").is_file()
    written = write_run_report(folder, out)
    assert _names(out) == sorted(path.name for path in written)
    assert not (out / "aid-delivered.png").exists()


def test_the_report_files_are_those_the_briefing_writes(aid_run, tmp_path):
    written = write_run_report(aid_run[1], tmp_path)
    assert [path.name for path in written] == list(REPORT_FILES)
    assert [path.stem for path in written[2:]] == list(RUN_CHARTS)


def test_remove_stale_leaves_folders_and_the_files_kept(tmp_path):
    (tmp_path / "report.html").mkdir()
    for name in ("report.md", "p-goal.png", "notes.txt"):
        (tmp_path / name).write_text("x")
    removed = remove_stale(tmp_path, REPORT_FILES, keep={"p-goal.png"})
    assert removed == [tmp_path / "report.md"]
    assert _names(tmp_path) == ["notes.txt", "p-goal.png", "report.html"]
