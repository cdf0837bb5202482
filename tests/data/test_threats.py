"""The threat record: the allies bordering Russia, the events on record, and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from data_copies import data_copy

from sim.data.base import ALLIES
from sim.data.threats import (
    EVENTS_FILE,
    FRONTLINE_FILE,
    frontline_flags,
    known_events,
    load_frontline,
)
from sim.errors import DataError


def test_the_frontline_is_the_allies_bordering_russia():
    table = load_frontline()
    assert set(table) == set(ALLIES)
    assert {code for code, front in table.items() if front} == {
        "EST", "FIN", "LTU", "LVA", "NOR", "POL"}
    assert frontline_flags(("DEU", "POL", "USA", "NOR")).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_the_events_on_record():
    assert known_events() == (2022,)


def test_bad_frontline_files(tmp_path: Path):
    folder = data_copy(tmp_path / "a", FRONTLINE_FILE, lambda rows: rows[0].update(frontline="yes"))
    with pytest.raises(DataError, match=r"line 2: column 'frontline' must be 0 or 1, got 'yes'"):
        load_frontline(folder)
    folder = data_copy(tmp_path / "b", FRONTLINE_FILE, lambda rows: rows[1:])
    with pytest.raises(DataError, match=rf"{FRONTLINE_FILE}: no row for ALB: one row per ally"):
        load_frontline(folder)
    folder = data_copy(tmp_path / "c", FRONTLINE_FILE, lambda rows: [*rows, rows[0]])
    with pytest.raises(DataError, match=r"a second row for ALB: one row per ally"):
        load_frontline(folder)
    folder = data_copy(tmp_path / "d", FRONTLINE_FILE, lambda rows: rows[3].update(
        source_publisher=""))
    with pytest.raises(DataError, match=r"line 5: column 'source_publisher' is empty"):
        load_frontline(folder)
    folder = data_copy(tmp_path / "e", FRONTLINE_FILE, lambda rows: rows[0].update(iso3="RUS"))
    with pytest.raises(DataError, match=r"line 2: column 'iso3': 'RUS' is not an ally"):
        load_frontline(folder)


def test_bad_event_files(tmp_path: Path):
    folder = data_copy(tmp_path / "a", EVENTS_FILE, lambda rows: rows[0].update(year="2014"))
    with pytest.raises(DataError, match=r"line 2: column 'year': 2014 is not after 2014"):
        known_events(folder)
    folder = data_copy(tmp_path / "b", EVENTS_FILE, lambda rows: [*rows, rows[0]])
    with pytest.raises(DataError, match=r"line 3: 2022 is listed twice"):
        known_events(folder)
    folder = data_copy(tmp_path / "c", EVENTS_FILE, lambda rows: rows[0].update(source_date=""))
    with pytest.raises(DataError, match=r"line 2: column 'source_date' is empty"):
        known_events(folder)
    assert np.array_equal(frontline_flags(()), np.empty(0))
