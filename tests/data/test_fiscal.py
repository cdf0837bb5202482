"""The IMF fiscal position per ally and year: known rows, full coverage, sources, bad files."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from data_copies import data_copy, edit_rows

from sim.data.base import ALLIES
from sim.data.fiscal import (
    FISCAL_FILE,
    FISCAL_VINTAGE,
    INDICATORS,
    fiscal_position,
    load_fiscal,
)
from sim.errors import DataError
from sim.resources import calibration_dir

DATA = calibration_dir() / "data"


def _copy(tmp_path: Path) -> Path:
    return data_copy(tmp_path, FISCAL_FILE)


def _edit(folder: Path, edit) -> None:
    edit_rows(folder / FISCAL_FILE, edit)


@pytest.mark.parametrize(("code", "debt", "balance"), [
    ("USA", 125.0, -7.4), ("FRA", 116.5, -5.4), ("DEU", 64.4, -2.5), ("POL", 60.0, -7.0),
    ("ITA", 136.8, -3.3), ("GBR", 103.4, -4.3), ("CAN", 113.9, -2.2),
])
def test_2025_debt_and_balance_match_the_published_figures(code, debt, balance):
    position = fiscal_position(code, 2025)
    # The README rounds the file's three decimals to one.
    assert abs(position.debt - debt) <= 0.05 + 1e-9
    assert abs(position.overall_balance - balance) <= 0.05 + 1e-9


def test_known_row_exactly_as_the_file_states_it():
    usa = fiscal_position("USA", 2025)
    assert (usa.debt, usa.overall_balance, usa.primary_balance) == (125.05, -7.365, -3.8)
    assert usa.net_interest == pytest.approx(3.565, abs=1e-12)
    assert usa.vintage == FISCAL_VINTAGE == "WEO Oct 2025"


def test_the_file_is_read_once_however_its_folder_is_named():
    # Every pool process read it twice, 50 ms each, before its first variant.
    shipped = load_fiscal()
    assert load_fiscal(None) is shipped
    assert load_fiscal(calibration_dir() / "data") is shipped
    assert fiscal_position("USA", 2025) is shipped["USA"][2025]


def test_every_ally_every_year_2014_to_2030():
    fiscal = load_fiscal()
    assert list(fiscal) == list(ALLIES) and len(fiscal) == 32
    for code, years in fiscal.items():
        assert list(years) == list(range(2014, 2031)), code
        for when, position in years.items():
            assert (position.code, position.year) == (code, when)
            assert all(math.isfinite(v) for v in
                       (position.debt, position.overall_balance, position.primary_balance))
            assert 0 < position.debt < 300, (code, when)


def test_actual_until_the_latest_actual_year_then_projection():
    fiscal = load_fiscal()
    assert not fiscal["USA"][2024].projection and fiscal["USA"][2025].projection
    # Iceland and Norway: the latest outturn in this vintage is 2023.
    for code in ("ISL", "NOR"):
        assert fiscal[code][2024].projection and not fiscal[code][2023].projection
        assert fiscal[code][2024].latest_actual == 2023
    assert all(p.projection == (p.year > p.latest_actual)
               for years in fiscal.values() for p in years.values())


def test_net_interest_is_primary_minus_overall_balance():
    for years in load_fiscal().values():
        for p in years.values():
            assert p.net_interest == p.primary_balance - p.overall_balance
    # Norway's overall balance exceeds its primary one: net interest is income, not a cost.
    assert fiscal_position("NOR", 2025).net_interest < 0


def test_every_record_names_its_source():
    for years in load_fiscal().values():
        for p in years.values():
            assert p.source.startswith("International Monetary Fund") and "2025-10-14" in p.source
            assert p.via.strip()


def test_the_shipped_file_holds_only_the_october_2025_vintage():
    with (DATA / FISCAL_FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["vintage"] for r in rows} == {FISCAL_VINTAGE}
    assert len(rows) == 32 * 17 * len(INDICATORS)


def test_a_non_number_names_file_line_and_column(tmp_path):
    folder = _copy(tmp_path)

    def spoil(rows):
        rows[9]["value"] = "n/a"
        return rows

    _edit(folder, spoil)
    with pytest.raises(DataError, match=rf"{FISCAL_FILE}: line 11: column 'value' is not a "
                                        r"number: 'n/a'"):
        load_fiscal(folder)


def test_a_missing_row_names_the_ally_year_and_indicator(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, lambda rows: [r for r in rows if not (
        r["iso3"] == "POL" and r["year"] == "2027" and r["indicator"] == "GGXONLB_NGDP")])
    with pytest.raises(DataError, match=rf"{FISCAL_FILE}: no WEO Oct 2025 GGXONLB_NGDP for "
                                        r"POL 2027"):
        load_fiscal(folder)


def test_a_duplicate_is_refused_but_another_vintage_is_ignored(tmp_path):
    older = _copy(tmp_path / "older")
    _edit(older, lambda rows: [*rows, {**rows[0], "vintage": "WEO Apr 2025", "value": "0"}])
    assert load_fiscal(older)["ALB"][2014] == load_fiscal()["ALB"][2014]
    twice = _copy(tmp_path / "twice")
    _edit(twice, lambda rows: [*rows, rows[0]])
    with pytest.raises(DataError, match=rf"{FISCAL_FILE}: line {32 * 17 * 3 + 2}: a second "
                                        r"GGXCNL_NGDP for ALB 2014"):
        load_fiscal(twice)


def test_an_unknown_ally_or_a_missing_file(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, lambda rows: [{**rows[0], "iso3": "XKX"}, *rows[1:]])
    with pytest.raises(DataError, match=r"line 2: column 'iso3': 'XKX' is not an ally"):
        load_fiscal(folder)
    with pytest.raises(DataError, match=r"calibration data file is missing"):
        load_fiscal(tmp_path / "nowhere")


def test_a_projection_flag_against_the_latest_actual_year(tmp_path):
    folder = _copy(tmp_path)

    def spoil(rows):
        rows[0]["note"] = rows[0]["note"].replace("; actual", "; IMF staff estimate/projection")
        return rows

    _edit(folder, spoil)
    with pytest.raises(DataError, match=r"line 2: 2014 is marked a projection but the latest "
                                        r"actual year is 2024"):
        load_fiscal(folder)
