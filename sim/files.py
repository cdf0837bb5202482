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
half-written file or destroys an old one.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sim.errors import OptionError, ResultsError

if TYPE_CHECKING:
    import pandas as pd

#: The files of a run folder (written by :func:`sim.reports.run_files.write_outputs`); ``aid.csv``
#: only for a scenario with aid.
SUMMARY_NAME, ALLIES_NAME, BANDS_NAME, AID_NAME = "summary.json", "allies.csv", "bands.csv", \
    "aid.csv"
RUN_FILES = (SUMMARY_NAME, ALLIES_NAME, BANDS_NAME, AID_NAME)
#: The files of a report (:func:`sim.reports.page.write_page`): the page, its Markdown, the charts.
HTML_NAME, MARKDOWN_NAME = "report.html", "report.md"
#: The charts of a run's briefing (:mod:`sim.reports.briefing`); the last two only for aid.
RUN_CHARTS = ("alliance-fan", "allies-small-multiples", "p-goal", "shortfall", "aid-delivered",
               "aid-triggers")
REPORT_FILES = (HTML_NAME, MARKDOWN_NAME, *(f"{name}.png" for name in RUN_CHARTS))

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
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(path, None, missing) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
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
