"""Text cells of the project's CSV files never start a spreadsheet formula (issue 16, case 16)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sim.files import FORMULA_STARTS, csv_text, spreadsheet_safe


@given(st.text())
def test_a_text_never_starts_a_formula_and_loses_nothing(text: str) -> None:
    safe = spreadsheet_safe(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe == text or safe == "'" + text


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_numbers_stay_numbers(value) -> None:
    assert spreadsheet_safe(value) is value


def test_csv_text_quotes_text_cells_only() -> None:
    table = pd.DataFrame({"entity": ["=1+1", "DEU", "@A1"], "difference": [-0.5, 0.1, -2.0]})
    assert csv_text(table) == "entity,difference\n'=1+1,-0.5\nDEU,0.1\n'@A1,-2.0\n"
    assert table["entity"].tolist() == ["=1+1", "DEU", "@A1"]  # the table itself is unchanged
