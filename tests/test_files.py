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
    INTERACTIVE_NAME,
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
    assert _names(out) == ["allies.csv", "bands.csv", "outcomes.npz", "probabilities.csv",
                           "summary.json"]
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
    # And the interactive page, which only `summit report --interactive` writes.
    assert [*(path.name for path in written), INTERACTIVE_NAME] == list(REPORT_FILES)
    assert [path.stem for path in written[2:]] == list(RUN_CHARTS)


def test_remove_stale_leaves_folders_and_the_files_kept(tmp_path):
    (tmp_path / "report.html").mkdir()
    for name in ("report.md", "p-goal.png", "notes.txt"):
        (tmp_path / name).write_text("x")
    removed = remove_stale(tmp_path, REPORT_FILES, keep={"p-goal.png"})
    assert removed == [tmp_path / "report.md"]
    assert _names(tmp_path) == ["notes.txt", "p-goal.png", "report.html"]


# --- a run folder replaced whole, one writer at a time ----------------------------------------

_OWNED = {"summary.json", "allies.csv", "bands.csv", "aid.csv"}


def _run_files(folder: Path) -> dict[str, bytes]:
    """The project's files of a run folder, by name (the user's file checked apart)."""
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.name in _OWNED}


@pytest.fixture
def two_runs(aid_run, baseline_run, tmp_path):
    """A folder holding the aid run and a user's note, and what it holds after the baseline run
    is written into it (read from a folder of its own): (folder, results, old files, new)."""
    (aid_results, _), (results, _) = aid_run, baseline_run
    out = tmp_path / "run"
    write_outputs(aid_results, out)
    (out / "notes.txt").write_text("mine")
    write_outputs(results, tmp_path / "fresh")
    return out, results, _run_files(out), _run_files(tmp_path / "fresh")


def _renames(monkeypatch, on_call) -> None:
    """Call ``on_call()`` before every rename of a file or folder (and before the one-step
    exchange, where there is one)."""
    import sim.files as files

    def hooked(real):
        def call(*args, **kwargs):
            on_call()
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(os, "replace", hooked(os.replace))
    monkeypatch.setattr(os, "rename", hooked(os.rename))
    if hasattr(files, "_exchange"):
        monkeypatch.setattr(files, "_exchange", hooked(files._exchange))


@pytest.fixture(params=["exchange", "two-renames"])
def swap(request, monkeypatch, tmp_path):
    """The swap as Linux does it, in one step, and as elsewhere, in two renames."""
    import sim.files as files

    if request.param == "exchange":
        first, second = tmp_path / "probe-a", tmp_path / "probe-b"
        first.mkdir()
        second.mkdir()
        if not getattr(files, "_exchange", lambda a, b: False)(first, second):
            pytest.skip("this system or file system has no renameat2 exchange")
        first.rmdir()
        second.rmdir()
    else:
        monkeypatch.setattr(files, "_exchange", lambda first, second: False, raising=False)
    return request.param


def test_a_reader_sees_the_old_run_or_the_new_at_every_rename(two_runs, monkeypatch, swap):
    out, results, old, new = two_runs
    seen = []

    def look() -> None:
        # What a reader, or a kill -9 at this instant, would leave.
        if not out.exists():  # between two renames: the previous run is whole, aside
            aside = [p for p in out.parent.iterdir() if p.name.startswith(".run.old-")]
            assert swap == "two-renames" and [_run_files(p) for p in aside] == [old]
            return
        assert _run_files(out) in (old, new), "a mix of two runs"
        assert (out / "notes.txt").read_text() == "mine"
        seen.append(_run_files(out) == new)

    _renames(monkeypatch, look)
    write_outputs(results, out)
    look()
    assert seen[0] is False and seen[-1] is True
    assert sorted(p.name for p in out.parent.iterdir()) == ["fresh", "run"]


def test_a_run_ended_at_any_rename_leaves_the_old_run_or_the_new(two_runs, monkeypatch, swap):
    out, results, old, new = two_runs
    count, plan = [0], {"at": 0, "ending": KeyboardInterrupt}

    def hook() -> None:
        count[0] += 1
        if count[0] == plan["at"]:
            raise plan["ending"]("ended here")

    def restore() -> None:  # the folder as the fixture left it
        shutil.rmtree(out)
        out.mkdir()
        for name, data in old.items():
            (out / name).write_bytes(data)
        (out / "notes.txt").write_text("mine")

    _renames(monkeypatch, hook)
    write_outputs(results, out)  # a run to count the renames of
    renames = count[0]
    assert renames >= 1
    for at in range(1, renames + 1):
        for ending in (KeyboardInterrupt, OSError):
            restore()
            count[0], plan["at"], plan["ending"] = 0, at, ending
            with pytest.raises((KeyboardInterrupt, OptionError)):
                write_outputs(results, out)
            plan["at"] = 0
            assert _run_files(out) in (old, new), f"a mix after {ending.__name__} at {at}"
            assert (out / "notes.txt").read_text() == "mine"
            assert sorted(p.name for p in out.parent.iterdir()) == ["fresh", "run"]
            write_outputs(results, out)
            assert _run_files(out) == new


def test_the_users_folders_and_links_come_through_the_swap_as_they_were(two_runs):
    out, results, _, new = two_runs
    (out / "drafts" / "old").mkdir(parents=True)
    (out / "drafts" / "old" / "a.txt").write_text("draft")
    (out / "notes-link").symlink_to("notes.txt")
    inode = (out / "drafts" / "old" / "a.txt").stat().st_ino
    write_outputs(results, out)
    assert _run_files(out) == new
    assert (out / "drafts" / "old" / "a.txt").read_text() == "draft"
    assert (out / "drafts" / "old" / "a.txt").stat().st_ino == inode  # linked, not copied
    assert os.readlink(out / "notes-link") == "notes.txt"
    assert (out / "notes-link").read_text() == "mine"


def test_a_run_killed_between_two_renames_is_put_back_by_the_next(two_runs, monkeypatch):
    out, results, old, new = two_runs
    # What a kill -9 between the two renames leaves: the previous run aside, a new one staged.
    os.rename(out, out.parent / ".run.old-0a1b2c3d")
    (out.parent / ".run.new-4e5f6a7b").mkdir()
    (out.parent / ".run.new-4e5f6a7b" / "summary.json").write_text("{")
    # The next run puts the previous one back before it starts, so even one that fails (here
    # on a full disk) leaves it where it was.
    monkeypatch.setattr(os, "fsync", lambda handle: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(OptionError, match="full; it holds what it held before"):
        write_outputs(results, out)
    assert _run_files(out) == old
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.parent.iterdir()) == ["fresh", "run"]
    monkeypatch.undo()
    write_outputs(results, out)
    assert _run_files(out) == new


def test_a_full_disk_leaves_the_old_run_and_says_so_in_one_line(two_runs, monkeypatch, capsys):
    out, _, old, _ = two_runs
    real = os.fsync

    def full(handle: int) -> None:  # the disk fills as the run's files are flushed to it
        if os.path.basename(os.readlink(f"/proc/self/fd/{handle}")) == "bands.csv":
            raise OSError(28, "No space left on device")
        real(handle)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell which file is synced")
    monkeypatch.setattr(os, "fsync", full)
    code, _, err = summit(capsys, "run", "baseline", "--draws", "200", "--out", str(out))
    assert code == 2
    assert err.strip() == (f"--out: cannot write {out}: No space left on device; it holds what "
                           "it held before")
    assert _run_files(out) == old
    assert sorted(p.name for p in out.parent.iterdir()) == ["fresh", "run"]


def test_out_under_a_file_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("")

    def never(*args, **kwargs):
        raise AssertionError("simulated before the folder was checked")

    monkeypatch.setattr(sim.montecarlo, "run", never)
    code, _, err = summit(capsys, "run", "baseline", "--out", str(tmp_path / "file" / "run"))
    assert code == 2
    assert err.strip() == (f"--out: {tmp_path / 'file' / 'run'} is under {tmp_path / 'file'}, "
                           "which is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_out_holding_the_current_folder_is_refused_before_the_run(tmp_path, capsys,
                                                                  monkeypatch):
    (tmp_path / "run" / "inside").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "run" / "inside")
    for out in (".", str(tmp_path / "run")):
        code, _, err = summit(capsys, "run", "baseline", "--draws", "100", "--out", out)
        assert code == 2
        assert err.strip() == (f"--out: {out} holds the current folder; a run folder is "
                               "replaced whole by renaming it, so write the run into a folder "
                               "inside it")
    code, _, err = summit(capsys, "run", "baseline", "--draws", "100", "--out", "here")
    assert code == 0, err
    assert (tmp_path / "run" / "inside" / "here" / "summary.json").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_out_in_a_read_only_folder_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)

    def never(*args, **kwargs):
        raise AssertionError("simulated before the folder was checked")

    monkeypatch.setattr(sim.montecarlo, "run", never)
    try:
        code, _, err = summit(capsys, "run", "baseline", "--out", str(locked / "run"))
    finally:
        locked.chmod(0o755)
    assert code == 2
    assert err.strip() == f"--out: cannot write in {locked}: Permission denied"
    assert list(locked.iterdir()) == []


#: ``summit run`` whose simulation waits for the file ``go`` beside its folder, after saying
#: so in the file ``waiting``: a run held mid-way while the test starts a second writer.
HELD_MID_RUN = """
import sys, time
from pathlib import Path
import sim.montecarlo
from sim.cli import main

out = Path(sys.argv[1])
real = sim.montecarlo.run

def held(*args, **kwargs):
    (out.parent / "waiting").touch()
    while not (out.parent / "go").exists():
        time.sleep(0.05)
    return real(*args, **kwargs)

sim.montecarlo.run = held
main(["run", "baseline", "--draws", "200", "--seed", "5", "--out", str(out)])
"""


def _held_run(out: Path, tmp_path: Path, script: str = HELD_MID_RUN):
    """``summit run --out OUT`` (or another ``script`` of OUT) in a process of its own, held
    until the file ``go`` appears in ``tmp_path``; returned once it is held (``waiting``)."""
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    first = subprocess.Popen([sys.executable, "-c", script, str(out)],
                             env={**os.environ, "PYTHONPATH": str(root)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "waiting").exists():
        if first.poll() is not None or time.monotonic() > deadline:
            first.kill()
            raise AssertionError(f"the first run never started simulating: "
                                 f"{first.communicate()[1]}")
        time.sleep(0.05)
    return first


def test_a_report_of_a_folder_a_run_is_replacing_is_refused(baseline_run, tmp_path, capsys):
    _, folder = baseline_run
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    first = _held_run(out, tmp_path)
    try:
        code, _, err = summit(capsys, "report", str(out))
        assert code == 2, err
        assert err.strip().startswith(f"report: {out} is being written by another summit "
                                      "command")
        assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    finally:
        (tmp_path / "go").touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert json.loads((out / "summary.json").read_text())["seed"] == 5


HELD_FOLDER = """
import sys, time
from pathlib import Path
from sim.files import hold_folder

out = Path(sys.argv[1])
with hold_folder(out, "--resume"):
    (out.parent / "waiting").touch()
    while not (out.parent / "go").exists():
        time.sleep(0.05)
"""


def test_a_report_of_a_sweep_folder_another_command_holds_is_refused(tmp_path, capsys,
                                                                     write_toml):
    out = tmp_path / "out"
    code, _, err = summit(capsys, "sweep", str(write_toml(SWEEP_FILE, "sweep.toml")),
                          "--out", str(out))
    assert code == 0, err
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    holder = _held_run(out, tmp_path, HELD_FOLDER)  # a --resume, say, holds the folder
    try:
        code, _, err = summit(capsys, "report", str(out))
        assert code == 2, err
        assert err.strip().startswith(f"report: {out} is being written by another summit "
                                      "command")
        assert len(err.strip().splitlines()) == 1
        assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    finally:
        (tmp_path / "go").touch()
        holder.communicate(timeout=60)
    code, _, err = summit(capsys, "report", str(out))  # once it has let go
    assert code == 0, err


@pytest.mark.parametrize("second", [("run", "slow-growth", "--draws", "200"),
                                    ("sweep", "SWEEP")], ids=["run", "sweep"])
def test_a_second_writer_of_a_folder_being_run_into_is_refused(tmp_path, capsys, second,
                                                              write_toml):
    out = tmp_path / "out"
    first = _held_run(out, tmp_path)
    try:
        args = list(second)
        if "SWEEP" in args:
            args[1] = str(write_toml(SWEEP_FILE, "sweep.toml"))
        code, _, err = summit(capsys, *args, "--out", str(out))
        assert code == 2, err
        assert err.strip().startswith(f"--out: {out} is being written by another summit "
                                      "command")
        assert len(err.strip().splitlines()) == 1
        assert not out.exists()  # the first run's folder comes whole, when it is done
    finally:
        (tmp_path / "go").touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["scenario"], summary["seed"], summary["draws"]) == ("baseline", 5, 200)
    expected = {"go", "out", "waiting"} | ({"sweep.toml"} if "SWEEP" in second else set())
    assert {p.name for p in tmp_path.iterdir()} == expected  # and no lock file left


SWEEP_FILE = """
[sweep]
base = "baseline"
design = "lhs"
samples = 2
draws = 200

[[sweep.parameters]]
key = "defaults.commitment.follow"
range = [0.1, 0.6]
"""
