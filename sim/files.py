"""Run and sweep folders: which kind a folder is, which files are the project's, reading them.

``summit run --out DIR`` writes a run folder (``summary.json`` first among its files);
``summit sweep --out DIR`` writes a sweep folder (``manifest.json`` first). Reports and
comparisons read these folders and never rerun a simulation, so everything they need must be in
the files; what is missing or malformed raises :class:`~sim.errors.ResultsError` naming the file
and the dotted key, with what to do about it.

A run folder holds one run: writing a run into a folder removes the files an earlier run or its
report left there (:data:`RUN_FILES`, :data:`REPORT_FILES`) that the new run does not write, and
never a file the project does not write; a run is never written into a sweep folder, nor a
report into another run's or sweep's folder.

Every file of a folder is written whole or not at all (:func:`atomic_write_bytes`): to a
temporary file beside its target, renamed over it, so an interrupted command never leaves a
half-written file or destroys an old one. A run folder is more: it is replaced as a whole
(:func:`replace_run_folder`), written into a hidden sibling folder and swapped in by a rename, so
a reader sees the previous run or the new one, never the files of one beside those of the other.

A command that writes a folder holds its lock (:func:`hold_folder`) from before its first file
to after its last, so that a second command writing the same folder (a ``--resume`` started
while the sweep still runs, two runs into one folder) is refused in one line instead of losing
the first one's files.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sim.errors import OptionError, ResultsError
from sim.limits import MAX_RECORD_BYTES, read_text

if TYPE_CHECKING:
    import pandas as pd

#: The files of a run folder (written by :func:`sim.reports.run_files.write_outputs`); ``aid.csv``
#: only for a scenario with aid.
SUMMARY_NAME, ALLIES_NAME, BANDS_NAME, AID_NAME = "summary.json", "allies.csv", "bands.csv", \
    "aid.csv"
#: Every probability of the run in long form (the tidy frame's probability rows).
PROBABILITIES_NAME = "probabilities.csv"
#: Each draw's headline outcomes, bit-packed (:mod:`sim.draw_outcomes`), for paired comparisons.
OUTCOMES_NAME = "outcomes.npz"
RUN_FILES = (SUMMARY_NAME, ALLIES_NAME, BANDS_NAME, PROBABILITIES_NAME, AID_NAME, OUTCOMES_NAME)
#: The files of a report (:func:`sim.reports.page.write_page`): the page, its Markdown, the charts.
HTML_NAME, MARKDOWN_NAME = "report.html", "report.md"
#: The charts of a run's briefing (:mod:`sim.reports.briefing`); the last two only for aid.
RUN_CHARTS = ("alliance-fan", "allies-small-multiples", "p-goal", "shortfall", "aid-delivered",
               "aid-triggers")
#: The interactive page (``summit report --interactive``): a report file like the others, so
#: that a new run or a static report into the folder does not leave one of an earlier run.
INTERACTIVE_NAME = "report-interactive.html"
REPORT_FILES = (HTML_NAME, MARKDOWN_NAME, *(f"{name}.png" for name in RUN_CHARTS),
                INTERACTIVE_NAME)

#: The files a sweep folder is written with (by :mod:`sim.sweeps.record` and
#: :mod:`sim.sweeps.sweep`), the manifest first.
MANIFEST, JOURNAL = "manifest.json", "journal.jsonl"

Kind = Literal["run", "sweep"]


def folder_kind(folder: str | Path) -> Kind:
    """``"run"`` or ``"sweep"``, by the file each kind of folder is written with."""
    path = Path(folder)
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "no such folder"
        raise ResultsError(path, None, problem)
    if (path / SUMMARY_NAME).is_file():
        return "run"
    if (path / MANIFEST).is_file():
        return "sweep"
    raise ResultsError(path, None, f"neither a run folder (no {SUMMARY_NAME}: write one with "
                       f"`summit run --out`) nor a sweep folder (no {MANIFEST}: write one "
                       "with `summit sweep --out`)")


def read_json(path: Path,
              missing: str = "missing; rerun the command that writes the folder") -> dict[str, Any]:
    """A JSON object from ``path``; a missing (the problem: ``missing``) or malformed file is a
    :class:`ResultsError`."""
    if not path.exists() and not path.is_symlink():
        raise ResultsError(path, None, missing)
    # A regular file of bounded size only: a FIFO or a device in its place would hang.
    text = read_text(path, lambda key, problem: ResultsError(path, key, problem),
                     limit=MAX_RECORD_BYTES)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultsError(path, None, f"cannot be read: {err}") from None
    if not isinstance(document, dict):
        raise ResultsError(path, None, "must hold a JSON object")
    return document


def lookup(document: dict[str, Any], dotted: str, path: Path) -> Any:
    """The value at ``dotted`` (``allies.DEU.p_meet_goal``) of a document read from ``path``."""
    value: Any = document
    for name in dotted.split("."):
        if not isinstance(value, dict) or name not in value:
            raise ResultsError(path, dotted, "missing")
        value = value[name]
    return value


def read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A CSV table with at least ``columns``; a missing file or column is a ResultsError."""
    import pandas as pd  # here: the commands that only name a folder's files do without it

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise ResultsError(path, None, "missing; written by a newer summit-sim: rerun the "
                           "command that writes the folder") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as err:
        raise ResultsError(path, None, f"cannot be read: {' '.join(str(err).split())}") \
            from None
    for column in columns:
        if column not in table.columns:
            raise ResultsError(path, column, "missing column")
    return table


# --- writing into a folder ---------------------------------------------------------------------


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    The file gets the mode any tool gives a new file, ``0o666`` less the umask (0644 under the
    usual umask 022), so that colleagues can open a briefing on a shared drive:
    ``tempfile.mkstemp`` would make it 0600, readable by its owner alone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = _create_temporary(path)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` with a name of its own, open for writing.

    As ``mkstemp`` makes one, but with the mode of :func:`os.open`'s ``0o666``, which the
    system narrows by the umask (and a folder's default ACL) at creation: reading the umask to
    apply it by hand would need ``os.umask`` to set it, a race with other threads.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # another writer's temporary file: draw another name
            continue


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` as :func:`atomic_write_bytes` does."""
    atomic_write_bytes(path, text.encode("utf-8"))


def check_run_out(out: Path) -> None:
    """Refuse ``out`` for a run's files if it is a file or a sweep folder (an OptionError)."""
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out: {out} exists and is not a folder")
    if _is_sweep_folder(out):
        raise OptionError(f"--out: {out} is a sweep folder ({MANIFEST}); write the run into a "
                          "folder of its own")


def check_report_out(folder: Path, out: Path) -> None:
    """Refuse ``out`` for the report of ``folder`` if it is a file, or another run's or a
    sweep's folder: a report goes beside what it reports, or into a folder of its own."""
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out: {out} exists and is not a folder")
    if not out.is_dir() or (folder.is_dir() and os.path.samefile(folder, out)):
        return
    if (out / SUMMARY_NAME).exists():
        raise OptionError(f"--out: {out} holds another run ({SUMMARY_NAME}); write the report "
                          "into the run's own folder (the default) or a folder of its own")
    if _is_sweep_folder(out):
        raise OptionError(f"--out: {out} is a sweep folder ({MANIFEST}); write the report into "
                          "the reported folder (the default) or a folder of its own")


def _is_sweep_folder(folder: Path) -> bool:
    return (folder / MANIFEST).exists() or (folder / JOURNAL).exists()


def remove_stale(out: Path, names: Collection[str], keep: Collection[str] = ()) -> list[Path]:
    """Remove the files of ``names`` in ``out`` (those an earlier run or report of the project
    wrote) but not in ``keep`` (those just written); return the removed paths.

    Only regular files and links of those names go: a folder a user gave such a name stays.
    """
    removed = []
    for name in names:
        path = out / name
        if name not in keep and (path.is_file() or path.is_symlink()):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --- one writer a folder -----------------------------------------------------------------------

#: The folders this process holds the lock of, so that a library call inside a command that
#: already holds it (``write_outputs`` inside ``summit run``) does not refuse its own command.
_HELD: set[Path] = set()


def lock_file(folder: str | Path) -> Path:
    """The lock file of ``folder``: ``.NAME.lock`` beside it, so it outlives a folder swapped
    whole and exists before a new folder does."""
    target = Path(os.path.realpath(folder))
    return target.parent / f".{target.name}.lock"


@contextmanager
def hold_folder(folder: str | Path, option: str = "--out") -> Iterator[None]:
    """Hold the lock of ``folder`` for the block; refuse (an OptionError naming ``option``, the
    folder and the lock file) if another command holds it.

    The lock is ``fcntl.flock`` on :func:`lock_file`, which the system releases whenever the
    holder ends, even by ``kill -9``: a lock never outlives its command. Folders above
    ``folder`` that do not exist are made, and removed again if the block fails while they are
    still empty. The lock file is removed on release.
    """
    target = Path(os.path.realpath(folder))
    if target in _HELD:
        yield
        return
    made = _make_folders(target.parent, option)
    lock = lock_file(target)
    try:
        handle = _locked(lock, folder, option)
    except BaseException:
        _remove_empty(made)
        raise
    _HELD.add(target)
    try:
        yield
    except BaseException:
        _release(lock, handle, target)
        _remove_empty(made)
        raise
    _release(lock, handle, target)


def _locked(lock: Path, folder: str | Path, option: str) -> int:
    """An open descriptor of ``lock`` holding its exclusive flock."""
    import fcntl  # POSIX: here, so that importing this module does not need it

    while True:
        try:
            handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise OptionError(f"{option}: cannot write beside {folder} ({lock.name}): "
                              f"{err.strerror}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode("ascii", "replace").strip()
            os.close(handle)
            by = f" (process {holder})" if holder.isdigit() else ""
            raise OptionError(f"{option}: {folder} is being written by another summit "
                              f"command{by}, which holds {lock}; wait for it to finish or "
                              "write elsewhere") from None
        # The holder before us removes the file as it releases it: if it did so between our
        # open and our lock, we hold a file no one else will find, so lock the one there now.
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(handle), current):
            os.ftruncate(handle, 0)
            os.write(handle, f"{os.getpid()}\n".encode())
            return handle
        os.close(handle)


def _release(lock: Path, handle: int, target: Path) -> None:
    """Remove the lock file, then release it (in that order, see :func:`_locked`)."""
    _HELD.discard(target)
    lock.unlink(missing_ok=True)
    os.close(handle)


def _make_folders(folder: Path, option: str) -> list[Path]:
    """Make ``folder`` and the folders above it that are missing; return those made, deepest
    last."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
    made: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            _remove_empty(made)
            raise OptionError(f"{option}: cannot make {path}: {err.strerror}") from None
        made.append(path)
    return made


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders of ``made`` (deepest last) that are still empty."""
    for path in reversed(made):
        try:
            path.rmdir()
        except OSError:
            return


# --- a run folder replaced whole ---------------------------------------------------------------


def check_run_folder(out: Path) -> None:
    """Refuse ``out`` for a run before the run (an OptionError): a file, a sweep folder, a
    mount point or the current folder or one above it (a run folder is swapped in by renaming
    it), or a place where the folder cannot be written (checked by making and removing a
    folder where it will be made)."""
    check_run_out(out)
    target = Path(os.path.realpath(out))
    if target.is_dir() and os.path.ismount(target):
        raise OptionError(f"--out: {out} is a mount point; a run folder is replaced whole by "
                          "renaming it, so write the run into a folder inside it")
    if Path(os.path.realpath(os.getcwd())).is_relative_to(target):
        # Swapped away, the folder a shell stands in would be the earlier run's, then removed.
        raise OptionError(f"--out: {out} holds the current folder; a run folder is replaced "
                          "whole by renaming it, so write the run into a folder inside it")
    existing = next(path for path in (target.parent, *target.parent.parents) if path.exists())
    if not existing.is_dir():
        kind = "a file" if existing.is_file() else "not a folder"
        raise OptionError(f"--out: {out} is under {existing}, which is {kind}")
    try:
        os.rmdir(_new_sibling(existing / target.name, "probe"))
    except OSError as err:
        raise OptionError(f"--out: cannot write in {existing}: {err.strerror}") from None


def replace_run_folder(out: str | Path, files: Mapping[str, bytes],
                       owned: Collection[str]) -> None:
    """Make ``out`` a folder of ``files`` (name: contents), keeping the entries of the
    folder there before whose names are not in ``owned`` (the user's own files), in one swap.

    The new folder is written into a hidden sibling, ``.NAME.new-XXXX`` (the user's entries
    hard-linked into it, so the old folder is untouched until the swap), synced to disk, and
    exchanged with ``out`` in one rename (Linux's ``renameat2``); elsewhere ``out`` is renamed
    aside and the new folder renamed in, and a command killed between the two leaves the
    previous run aside, put back by the next write (:func:`_recover`). The previous run is
    then removed. Call it holding the folder's lock (:func:`hold_folder`).
    """
    target = Path(os.path.realpath(out))
    _recover(target)
    stage = _new_sibling(target, "new")
    try:
        if target.is_dir():
            os.chmod(stage, stat.S_IMODE(target.stat().st_mode))
            for entry in os.scandir(target):
                if entry.name not in owned:
                    _link(Path(entry.path), stage / entry.name)
        for name, data in files.items():
            with open(stage / name, "xb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        _sync_folder(stage)
        if target.is_dir():
            previous = _swap(stage, target)
        else:
            _rename(stage, target)
            previous = None
        _sync_folder(target.parent)
    except OSError as err:  # a full disk, a folder made read-only meanwhile
        shutil.rmtree(stage, ignore_errors=True)
        raise OptionError(f"--out: cannot write {out}: {err.strerror}; it holds what it held "
                          "before") from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def _link(source: Path, destination: Path) -> None:
    """``source`` under a second name: a hard link for a file, a copy of a link, a folder of
    links for a folder; a copy where links cannot cross (another file system below)."""
    if source.is_symlink():
        os.symlink(os.readlink(source), destination)
    elif source.is_dir():
        shutil.copytree(source, destination, symlinks=True, copy_function=_link_file)
    else:
        _link_file(source, destination)


def _link_file(source: str | Path, destination: str | Path) -> None:
    try:
        os.link(source, destination)
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, destination)


def _swap(stage: Path, target: Path) -> Path:
    """Put ``stage`` at ``target``; return where the previous ``target`` now is."""
    if _exchange(stage, target):
        return stage
    previous = _new_sibling(target, "old")
    previous.rmdir()
    _rename(target, previous)
    try:
        _rename(stage, target)
    except BaseException:
        _rename(previous, target)
        raise
    return previous


def _rename(source: Path, destination: Path) -> None:
    """Rename a folder (every rename of a run folder goes through here)."""
    os.rename(source, destination)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _recover(target: Path) -> None:
    """Undo what a command killed while replacing ``target`` left: put a previous run renamed
    aside back if ``target`` is missing, and remove the hidden siblings."""
    def beside(role: str) -> list[Path]:
        prefix = f".{target.name}.{role}-"
        return [Path(entry.path) for entry in os.scandir(target.parent)
                if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)]

    aside = beside("old")
    if aside and not target.exists():
        _rename(max(aside, key=lambda path: path.stat().st_mtime), target)
    for path in (*beside("old"), *beside("new")):
        shutil.rmtree(path, ignore_errors=True)


def _new_sibling(target: Path, role: str) -> Path:
    """A new, empty folder ``.NAME.ROLE-XXXX`` beside ``target``."""
    while True:
        path = target.parent / f".{target.name}.{role}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _sync_folder(folder: Path) -> None:
    """Sync a folder's entries to disk, so a rename survives a machine crash."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # file systems that cannot sync a folder: the rename still stands
    finally:
        os.close(handle)

# --- CSV cells a spreadsheet would run ---------------------------------------------------------

#: A spreadsheet takes a cell beginning with one of these for a formula (``=HYPERLINK(...)``,
#: ``+cmd|' /C calc'!A0``); a tab or carriage return first hides one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value``, with a quote before a text that a spreadsheet would read as a formula.

    Only text is changed: a negative number stays a number, and the Parquet table (or the JSON)
    beside a CSV file keeps the text as written.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(table: pd.DataFrame) -> str:
    """``table`` as the project's CSV files are written (no index, ``\\n`` line ends), each text
    cell through :func:`spreadsheet_safe`."""
    import pandas as pd  # here: only the writers of tables need it

    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):  # text, or text mixed with blanks
            safe[column] = safe[column].map(spreadsheet_safe)
    return safe.to_csv(index=False, lineterminator="\n")


def check_writable(out: Path, option: str = "--out", *, file: bool = False) -> None:
    """Refuse ``out``, a folder a command is to write into (or with ``file``, a file it is to
    write), before the command does any work: one under a file, or in a place that takes no
    new file (a read-only mount, no permission). An OptionError naming the option; nothing is
    left behind.

    Whether a place takes a file is tried, not read from its mode bits: a read-only mount keeps
    them, and the superuser writes past them.
    """
    existing = out.parent if file else out
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        where = "exists and is not a folder" if existing == out else \
            f"is under {existing}, which is a file, not a folder"
        raise OptionError(f"{option}: {out} {where}")
    try:
        handle, probe = _create_temporary(existing / "write-check")
    except OSError as err:
        raise OptionError(f"{option}: {out}: cannot write in {existing}: "
                          f"{err.strerror or err}") from None
    os.close(handle)
    probe.unlink()
