"""Run and sweep folders as the reports read them: which kind a folder is, and its files.

``summit run --out DIR`` writes a run folder (``summary.json`` first among its files);
``summit sweep --out DIR`` writes a sweep folder (``manifest.json`` first). Reports and
comparisons read these folders and never rerun a simulation, so everything they need must be in
the files; what is missing or malformed raises :class:`~sim.errors.ResultsError` naming the file
and the dotted key, with what to do about it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import ResultsError
from .report import SUMMARY_NAME

#: The file a sweep folder is written with (by :mod:`sim.sweep`).
MANIFEST = "manifest.json"

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
