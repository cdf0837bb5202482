"""The base-data loader: all 32 allies, sourced figures, missing or malformed files as DataError."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from sim.data.base import (
    ALLIES,
    CORE_SHARE_FILE,
    CORE_USD_FILE,
    GDP_FILE,
    GROWTH_FILE,
    NOT_ASSESSED,
    Figure,
    load_base,
)
from sim.errors import DataError, SimError
from sim.resources import calibration_dir

DATA = calibration_dir() / "data"
FILES = (CORE_SHARE_FILE, GDP_FILE, CORE_USD_FILE, GROWTH_FILE)


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _copy_data(folder: Path, *, without: str = "") -> Path:
    """A fresh copy of the calibration data (a new Path, so load_base's cache misses)."""
    folder.mkdir()
    for name in FILES:
        if name != without:
            shutil.copy(DATA / name, folder / name)
    return folder


def _figures(base) -> list[Figure]:
    return [f for a in base.values()
            for f in (a.core_share, a.gdp_usd, a.core_usd, a.growth_mean) if f is not None]


def test_all_32_allies_in_code_order():
    base = load_base(2026)
    assert len(ALLIES) == 32
    assert list(base) == list(ALLIES) == sorted(ALLIES)
    for code, ally in base.items():
        assert (ally.code, ally.name, ally.year) == (code, ALLIES[code], 2026)
    assert base["TUR"].name == "Türkiye" and base["USA"].name == "United States"


def test_iceland_is_listed_but_not_assessed():
    iceland = load_base(2026)["ISL"]
    assert NOT_ASSESSED == {"ISL"}
    assert iceland.assessed is False
    assert iceland.core_share is None and iceland.gdp_usd is None and iceland.core_usd is None


def test_every_assessed_ally_has_a_share_and_gdp():
    for code, ally in load_base(2026).items():
        if code in NOT_ASSESSED:
            continue
        assert ally.assessed is True
        assert ally.core_share is not None and 0.5 < ally.core_share.value < 10
        assert ally.gdp_usd is not None and ally.gdp_usd.value > 1e9
        assert ally.growth_mean is not None and -0.05 < ally.growth_mean.value < 0.1


def test_core_shares_are_the_july_2026_edition():
    expected = {row["iso3"]: float(row["value_pct_gdp"]) for row in _csv(CORE_SHARE_FILE)
                if row["edition"] == "NATO 2026 (Jul 2026)" and row["year"] == "2026"}
    base = load_base(2026)
    assert {c: a.core_share.value for c, a in base.items() if a.assessed} == expected
    assert (base["DEU"].core_share.value, base["POL"].core_share.value) == (2.69, 4.68)
    assert base["LTU"].core_share.value == 5.33


def test_every_figure_carries_its_source():
    figures = _figures(load_base(2026))
    assert len(figures) >= 31 * 4
    for figure in figures:
        assert figure.source.strip() and figure.unit.strip() and figure.via.strip()
        assert figure.file in FILES
    deu = load_base(2026)["DEU"]
    assert deu.core_share.source.startswith("NATO, Defence Investment of NATO Countries")
    assert deu.core_share.unit == "% of GDP"
    assert deu.gdp_usd.unit == deu.core_usd.unit == "USD (current)"
    assert "WEO Oct 2025" in deu.growth_mean.source and "2027-2030" in deu.growth_mean.source


def test_money_is_in_usd_not_millions():
    deu = load_base(2026)["DEU"]
    assert deu.gdp_usd.value == pytest.approx(5_455_980e6)
    # NATO's USD figures and its share agree to within the real-vs-nominal GDP difference.
    for ally in load_base(2026).values():
        if ally.assessed:
            share = 100 * ally.core_usd.value / ally.gdp_usd.value
            assert share == pytest.approx(ally.core_share.value, abs=0.5)


def test_growth_mean_is_the_mean_of_the_projections_after_the_base_year():
    series = {int(row["year"]): float(row["real_gdp_growth_pct"]) for row in _csv(GROWTH_FILE)
              if row["iso3"] == "POL" and row["vintage"] == "WEO Oct 2025"}
    for year in (2025, 2026):
        later = [v for y, v in series.items() if y > year]
        assert load_base(year)["POL"].growth_mean.value == pytest.approx(
            sum(later) / len(later) / 100)
        assert load_base(year)["POL"].growth_mean.estimate is True


def test_an_earlier_base_year_replays_that_year():
    replay = load_base(2025)
    assert {a.year for a in replay.values()} == {2025}
    assert replay["DEU"].core_share.value == 2.22
    assert replay["POL"].core_share.value != load_base(2026)["POL"].core_share.value
    assert replay["ISL"].assessed is False and replay["ISL"].core_share is None
    assert all(f.source for f in _figures(replay))


def test_load_base_is_cached():
    assert load_base(2026) is load_base(2026)


def test_a_year_the_edition_does_not_cover_is_a_data_error():
    with pytest.raises(DataError, match=r"no NATO 2026 \(Jul 2026\) core share or GDP for base "
                       r"year 2013 for ALB, "):
        load_base(2013)


@pytest.mark.parametrize("missing", FILES)
def test_a_missing_data_file_is_a_data_error(tmp_path, missing):
    folder = _copy_data(tmp_path / "data", without=missing)
    with pytest.raises(DataError) as caught:
        load_base(2026, folder)
    assert isinstance(caught.value, SimError)
    assert str(caught.value) == f"{folder / missing}: calibration data file is missing"


def test_a_copy_of_the_data_loads_the_same(tmp_path):
    assert load_base(2026, _copy_data(tmp_path / "data")) == load_base(2026)


def test_a_malformed_number_is_a_data_error(tmp_path):
    folder = _copy_data(tmp_path / "data")
    path = folder / GDP_FILE
    text = path.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("DEU,Germany,2026,"))
    bad = row.replace(",5455980,", ",five trillion,")
    assert bad != row
    path.write_text(text.replace(row, bad), encoding="utf-8")
    with pytest.raises(DataError, match=r"^gdp_current_usd\.csv: column 'gdp_usd_million' is "
                       "missing or not a number"):
        load_base(2026, folder)


def test_an_ally_missing_from_the_data_is_named(tmp_path):
    folder = _copy_data(tmp_path / "data")
    path = folder / CORE_SHARE_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines
                            if not (line.startswith("MNE,") and "NATO 2026 (Jul 2026)" in line)),
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_base(2026, folder)
    assert str(caught.value).endswith("for MNE (the edition covers 2014-2026)")
