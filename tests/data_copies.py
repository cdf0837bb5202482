"""Copies of a shipped calibration data file, edited row by row, for the readers' error tests."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

from sim.resources import calibration_dir

Rows = list[dict[str, str]]


def data_copy(tmp_path: Path, name: str, edit: Callable[[Rows], Rows | None] | None = None
              ) -> Path:
    """A new folder holding a copy of ``calibration/data/NAME`` (so a reader's cache misses),
    with ``edit`` applied to its rows (rows[0] is line 2): it edits them in place or returns
    the rows to write."""
    folder = tmp_path / "data"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(calibration_dir() / "data" / name, folder / name)
    if edit is not None:
        edit_rows(folder / name, edit)
    return folder


def edit_rows(path: Path, edit: Callable[[Rows], Rows | None]) -> None:
    """Rewrite the CSV file ``path`` with ``edit`` applied to its rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or ()), list(reader)
    edited = edit(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows if edited is None else edited)
