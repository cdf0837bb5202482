"""The EU national escape clause for defence and Germany's debt-brake exemption, with sources."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from data_copies import data_copy

from sim.data.rules import RULES_FILE, debt_brake, escape_clause
from sim.errors import DataError
from sim.resources import calibration_dir

DATA = calibration_dir() / "data"
JULY_2025 = {"BEL", "BGR", "HRV", "CZE", "DNK", "EST", "FIN", "GRC", "HUN", "LVA", "LTU", "POL",
             "PRT", "SVK", "SVN"}


def _copy(tmp_path: Path, edit=None) -> Path:
    return data_copy(tmp_path, RULES_FILE, edit)


def test_sixteen_states_activated_the_escape_clause():
    clauses = escape_clause()
    assert set(clauses) == JULY_2025 | {"DEU"} and len(clauses) == 16
    for code in JULY_2025:
        assert clauses[code].activated == datetime.date(2025, 7, 8)
    assert clauses["DEU"].activated == datetime.date(2025, 10, 10)
    assert not {"FRA", "ITA", "ESP", "NLD", "SWE", "ROU", "LUX"} & set(clauses)


def test_the_activations_match_the_council_request_list():
    with (DATA / RULES_FILE).open(newline="", encoding="utf-8") as handle:
        listed = next(r for r in csv.DictReader(handle)
                      if r["rule"].startswith("SGP national escape clause - request list"))
    assert set(listed["member_state"].split()) == set(escape_clause())


def test_the_clause_is_1_5_percent_for_2025_to_2028_and_ends_on_schedule():
    for clause in escape_clause().values():
        assert clause.cap == 1.5
        assert (clause.first_year, clause.last_year) == (2025, 2028)
        assert clause.covers(2025) and clause.covers(2028)
        assert not clause.covers(2024) and not clause.covers(2029)
    # Germany's row gives only "4 years": counted from its activation in 2025.
    assert escape_clause()["DEU"].years_stated is False
    assert escape_clause()["POL"].years_stated is True


def test_germany_debt_brake_exempts_defence_above_1_percent():
    brake = debt_brake()
    assert (brake.code, brake.threshold, brake.first_year, brake.last_year) == (
        "DEU", 1.0, 2025, None)
    assert brake.covers(2025) and brake.covers(2035) and not brake.covers(2024)
    assert (brake.threshold_eur_bn, brake.threshold_eur_year) == (43.0, 2025)
    assert "intelligence" in brake.scope


def test_every_record_names_its_source():
    sources = [c.source for c in escape_clause().values()]
    sources += [debt_brake().source, debt_brake().threshold_eur_source]
    for cited in sources:
        assert cited.count(",") >= 2 and cited.split(",")[-1].strip()[:4] == "2025"
    assert all(c.via.strip() for c in escape_clause().values())


def test_a_bad_activation_date_names_file_and_line(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[3].update(source_date="July 2025"))
    with pytest.raises(DataError, match=rf"{RULES_FILE}: line 5: column 'source_date' is not a "
                                        r"date \(YYYY-MM-DD\): 'July 2025'"):
        escape_clause(folder)


def test_a_period_without_years_or_length(tmp_path):
    folder = _copy(tmp_path, lambda rows: rows[0].update(period="until further notice"))
    with pytest.raises(DataError, match=r"line 2: column 'period' gives neither years"):
        escape_clause(folder)


def test_a_non_number_cap_and_a_missing_exemption(tmp_path):
    folder = _copy(tmp_path / "a", lambda rows: rows[1].update(value="some"))
    with pytest.raises(DataError, match=r"line 3: column 'value' is not a number: 'some'"):
        escape_clause(folder)
    folder = _copy(tmp_path / "b", lambda rows: rows.__setitem__(
        slice(None), [r for r in rows if not r["rule"].startswith("German debt brake: defence")]))
    with pytest.raises(DataError, match=r"no row 'German debt brake: defence exemption"):
        debt_brake(folder)
