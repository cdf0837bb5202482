"""Hostile run folders: `summit report` and `summit compare` refuse a folder whose files hold
values of the wrong kind with exit 2 and one line naming the folder's file and key, and write
nothing (issue 16, case 14)."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from invoke import summit

from sim.files import BANDS_NAME, SUMMARY_NAME


def _set(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit of summary.json: set the value at ``dotted``."""
    def edit(summary: dict[str, Any]) -> None:
        *head, last = dotted.split(".")
        table = summary
        for name in head:
            table = table[name]
        table[last] = value
    return edit


def _hostile_copy(folder: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    copy = tmp_path / "hostile"
    shutil.copytree(folder, copy)
    summary = json.loads((copy / SUMMARY_NAME).read_text())
    edit(summary)
    (copy / SUMMARY_NAME).write_text(json.dumps(summary))
    return copy


def _refused(capsys, args: list[str], file: Path, key: str | None) -> str:
    before = sorted(p.name for p in file.parent.iterdir())
    status, out, err = summit(capsys, *args)
    assert status == 2, out + err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"{file}: {key}: " if key else f"{file}: "), err
    assert sorted(p.name for p in file.parent.iterdir()) == before  # no report written
    return err


SUMMARY_CASES = [
    ("goal", "five percent", "goal", "must be an object"),
    ("goal.year", "2035", "goal.year", "must be a whole number"),
    ("goal.core", None, "goal.core", "must be a finite number"),
    ("draws", "2000", "draws", "must be a whole number >= 1"),
    ("draws", 0, "draws", "must be a whole number >= 1"),
    ("base_year", 2026.5, "base_year", "must be a whole number"),
    ("allies", ["DEU", "FRA"], "allies", "must be an object"),
    ("allies.DEU.assessed", "yes", "allies.DEU.assessed", "must be true or false"),
    ("allies.DEU.p_meet_goal.p", "high", "allies.DEU.p_meet_goal.p", "must be a probability"),
    ("allies.DEU.p_meet_goal.p", math.inf, "allies.DEU.p_meet_goal.p", "must be a probability"),
    ("allies.DEU.p_meet_goal.p", -0.5, "allies.DEU.p_meet_goal.p", "must be a probability"),
    ("allies.DEU.p_meet_goal.ci95", [0.1], "allies.DEU.p_meet_goal.ci95", "must be [low, high]"),
    ("probabilities.alliance_meets_goal.p", math.nan, "probabilities.alliance_meets_goal.p",
     "must be a probability"),
    ("allies.DEU.total_shortfall_usd_2035.p50", "lots", "allies.DEU.total_shortfall_usd_2035.p50",
     "must be a finite number"),
]


@pytest.mark.parametrize(("dotted", "value", "key", "problem"), SUMMARY_CASES,
                         ids=[f"{c[0]}={c[1]!r}" for c in SUMMARY_CASES])
def test_report_refuses_a_summary_value_of_the_wrong_kind(baseline_run, tmp_path, capsys,
                                                          dotted, value, key, problem) -> None:
    folder = _hostile_copy(baseline_run[1], tmp_path, _set(dotted, value))
    err = _refused(capsys, ["report", str(folder)], folder / SUMMARY_NAME, key)
    assert problem in err


def test_report_refuses_an_aid_pledge_of_the_wrong_kind(aid_run, tmp_path, capsys) -> None:
    def edit(summary: dict[str, Any]) -> None:
        pledge = next(iter(summary["aid"]["pledges"].values()))
        pledge["p_triggered_least"] = {"p": "sometimes"}

    folder = _hostile_copy(aid_run[1], tmp_path, edit)
    err = _refused(capsys, ["report", str(folder)], folder / SUMMARY_NAME, None)
    assert ".p_triggered_least.p: must be a probability" in err


def _edit_bands(folder: Path, tmp_path: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    copy = tmp_path / "hostile"
    shutil.copytree(folder, copy)
    lines = (copy / BANDS_NAME).read_text().splitlines()
    (copy / BANDS_NAME).write_text("\n".join(edit(lines)) + "\n")
    return copy


def test_report_refuses_bands_without_the_alliance(baseline_run, tmp_path, capsys) -> None:
    folder = _edit_bands(baseline_run[1], tmp_path,
                         lambda lines: [x for x in lines if not x.startswith("alliance,")])
    err = _refused(capsys, ["report", str(folder)], folder / BANDS_NAME, None)
    assert "has no rows of entity 'alliance'" in err


def test_report_refuses_text_in_a_band_quantile(baseline_run, tmp_path, capsys) -> None:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[1].split(",")
        cells[5] = "lots"  # p50
        return [lines[0], ",".join(cells), *lines[2:]]

    folder = _edit_bands(baseline_run[1], tmp_path, edit)
    err = _refused(capsys, ["report", str(folder)], folder / BANDS_NAME, "p50")
    assert "must hold numbers, got 'lots'" in err


def test_report_refuses_a_year_of_text_in_the_bands(baseline_run, tmp_path, capsys) -> None:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[1].split(",")
        cells[2] = "next year"
        return [lines[0], ",".join(cells), *lines[2:]]

    folder = _edit_bands(baseline_run[1], tmp_path, edit)
    _refused(capsys, ["report", str(folder)], folder / BANDS_NAME, "year")


COMPARE_CASES = [
    ("probabilities.alliance_meets_goal.p", math.nan, "probabilities.alliance_meets_goal.p"),
    ("allies.DEU.p_meet_core.p", "0.4", "allies.DEU.p_meet_core.p"),
    ("allies.DEU.p_meet_core.ci95", [0.9, 0.1], "allies.DEU.p_meet_core.ci95"),
    ("draws", 0, "draws"),
    ("draws", -5, "draws"),
    ("draws", True, "draws"),
]


@pytest.mark.parametrize(("dotted", "value", "key"), COMPARE_CASES,
                         ids=[f"{c[0]}={c[1]!r}" for c in COMPARE_CASES])
def test_compare_refuses_a_summary_value_of_the_wrong_kind(baseline_run, tmp_path, capsys,
                                                           dotted, value, key) -> None:
    folder = _hostile_copy(baseline_run[1], tmp_path, _set(dotted, value))
    csv = tmp_path / "comparison.csv"
    _refused(capsys, ["compare", str(baseline_run[1]), str(folder), "--csv", str(csv)],
             folder / SUMMARY_NAME, key)
    assert not csv.exists()


def test_compare_csv_quotes_an_entity_a_spreadsheet_would_run(baseline_run, tmp_path,
                                                              capsys) -> None:
    def rename(summary: dict[str, Any]) -> None:
        summary["allies"]["=HYPERLINK(\"http://example.invalid\")"] = \
            summary["allies"].pop("DEU")

    a = _hostile_copy(baseline_run[1], tmp_path / "a", rename)
    b = _hostile_copy(baseline_run[1], tmp_path / "b", rename)
    csv = tmp_path / "comparison.csv"
    status, _, err = summit(capsys, "compare", str(a), str(b), "--csv", str(csv))
    assert status == 0, err
    entities = pd.read_csv(csv)["entity"]
    assert (entities == "'=HYPERLINK(\"http://example.invalid\")").sum() == 3  # core, goal, path
    assert not entities.str.startswith("=").any()
