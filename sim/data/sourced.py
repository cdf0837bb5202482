"""Reading a sourced CSV of ``calibration/data`` row by row, each row knowing its file and line.

The planning model's data files (fiscal position, budget plans, EU rules) share one shape: a
value per row and the columns naming its publisher, document and date. This module reads them
so that every :class:`~sim.errors.DataError` names the file, the line and the column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim.data.base import ALLIES
from sim.errors import DataError

#: The columns that say where a figure comes from; every sourced file has them.
SOURCE_COLUMNS = ("source_publisher", "source_title", "source_date", "retrieved_via")


def read_rows(path: Path, columns: Sequence[str]) -> Iterator[dict[str, str]]:
    """Each row of ``path`` as a dict, plus ``_where`` ("FILE: line N") and ``_line`` (N)."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: calibration data file is missing") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise DataError(f"{path}: missing column {missing[0]!r}")
        for line, row in enumerate(reader, start=2):
            width = len(reader.fieldnames or ())
            fields = width + len(row[None]) if None in row else sum(
                value is not None for value in row.values())
            if fields != width:
                raise DataError(f"{path}: line {line}: {fields} fields where the header has "
                                f"{width}")
            row["_where"] = f"{path}: line {line}"
            row["_line"] = str(line)
            yield row


def number(row: dict[str, str], column: str) -> float:
    """The column's value as a number, or a DataError naming file, line and column."""
    try:
        return float(row[column])
    except (TypeError, ValueError):
        raise DataError(f"{row['_where']}: column {column!r} is not a number: "
                        f"{row[column]!r}") from None


def year(row: dict[str, str], column: str = "year") -> int:
    """The column's value as a whole year."""
    value = row[column].strip()
    if not (value.isascii() and value.isdigit()) or len(value) != 4:
        raise DataError(f"{row['_where']}: column {column!r} is not a year: {row[column]!r}")
    return int(value)


def source(row: dict[str, str]) -> str:
    """Publisher, document and date of the row, as one line; a DataError if any is blank."""
    for column in ("source_publisher", "source_title", "source_date"):
        if not row[column].strip():
            raise DataError(f"{row['_where']}: column {column!r} is empty: every figure needs "
                            "its publisher, document and date")
    return f"{row['source_publisher']}, {row['source_title']}, {row['source_date']}"


def choice(row: dict[str, str], column: str, allowed: Sequence[str]) -> str:
    """The column's value if it is one of ``allowed``."""
    value = row[column]
    if value not in allowed:
        raise DataError(f"{row['_where']}: column {column!r} must be one of "
                        f"{', '.join(allowed)}; got {value!r}")
    return value


def ally_rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """:func:`read_rows` of a file with one row per ally, as ``(ISO3 code, row)``: a
    DataError for a code that is not an ally's or a second row for one."""
    seen: set[str] = set()
    for row in read_rows(path, columns):
        code = row["iso3"]
        if code not in ALLIES:
            raise DataError(f"{row['_where']}: column 'iso3': {code!r} is not an ally")
        if code in seen:
            raise DataError(f"{row['_where']}: a second row for {code}: one row per ally")
        seen.add(code)
        yield code, row
