"""The allies' related-spending evidence: known rows, allies without evidence, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_copies import data_copy

from sim.data.base import ALLIES
from sim.data.related import BASES, RELATED_FILE, load_related, related_evidence
from sim.errors import DataError


def _copy(tmp_path: Path, edit=None) -> Path:
    return data_copy(tmp_path, RELATED_FILE, edit)


def test_known_rows():
    sweden = related_evidence("SWE")
    assert (sweden.year, sweden.low, sweden.high, sweden.basis) == (2030, 1.5, 1.5, "statement")
    assert sweden.source.startswith("Clash Report") and "2025-05-31" in sweden.source
    canada = related_evidence("CAN")
    assert (canada.year, canada.low, canada.basis) == (2035, 1.5, "plan")
    assert "line 71" in canada.via
    assert related_evidence("NLD").year == 2035 and "2032" in related_evidence("NLD").note
    assert "4.1%" in related_evidence("GBR").note


def test_allies_without_evidence_have_none():
    assert related_evidence("ESP") is None  # exempt; says 2.1% in all
    assert related_evidence("USA") is None
    assert set(load_related()) == {"CAN", "DEU", "FIN", "GBR", "NLD", "NOR", "ROU", "SWE"}
    with pytest.raises(DataError, match=r"'XKX' is not an ally"):
        related_evidence("XKX")


def test_every_row_is_sourced_and_within_the_pledge():
    for code, evidence in load_related().items():
        assert code in ALLIES and evidence.basis in BASES
        assert 0 <= evidence.low <= evidence.high <= 1.5
        assert 2025 <= evidence.year <= 2035
        assert evidence.source.count(",") >= 2 and evidence.via.strip() and evidence.note


def test_a_non_number_names_file_line_and_column(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[2].update(high="about 1.5"))
    with pytest.raises(DataError, match=rf"{RELATED_FILE}: line 4: column 'high' is not a "
                                        r"number: 'about 1.5'"):
        load_related(folder)


def test_a_range_beyond_the_pledge_or_backwards(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[0].update(high="5.0"))
    with pytest.raises(DataError, match=r"line 2: column 'high' must be between 0 and 1.5"):
        load_related(folder)
    folder = _copy(tmp_path / "b", lambda rows: rows[1].update(low="1.5", high="1.0"))
    with pytest.raises(DataError, match=r"line 3: column 'low' 1.5 is above 'high' 1.0"):
        load_related(folder)


def test_bad_categories_duplicates_and_missing_sources(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[0].update(basis="hope"))
    with pytest.raises(DataError, match=r"line 2: column 'basis' must be one of plan, "
                                        r"statement, estimate; got 'hope'"):
        load_related(folder)
    folder = _copy(tmp_path / "b", lambda rows: [*rows, rows[0]])
    with pytest.raises(DataError, match=r"line 10: a second row for CAN: one row per ally"):
        load_related(folder)
    folder = _copy(tmp_path / "c", lambda rows: rows[3].update(source_date=""))
    with pytest.raises(DataError, match=r"line 5: column 'source_date' is empty"):
        load_related(folder)
    folder = _copy(tmp_path / "d", lambda rows: rows[0].update(year="by 2035"))
    with pytest.raises(DataError, match=r"line 2: column 'year' is not a year: 'by 2035'"):
        load_related(folder)
    folder = _copy(tmp_path / "e", lambda rows: rows[0].update(iso3="EU"))
    with pytest.raises(DataError, match=r"line 2: column 'iso3': 'EU' is not an ally"):
        load_related(folder)
    with pytest.raises(DataError, match=r"calibration data file is missing"):
        load_related(tmp_path / "nowhere")


def test_a_year_in_other_digits_is_not_a_year(tmp_path):
    # "²⁰³⁵" passes str.isdigit() but not int(): refused with the file, line and column.
    folder = _copy(tmp_path, lambda rows: rows[0].update(year="²⁰³⁵"))
    with pytest.raises(DataError, match=r"line 2: column 'year' is not a year: '²⁰³⁵'"):
        load_related(folder)
