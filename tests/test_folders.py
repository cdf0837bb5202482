"""Tests of sim.folders: telling run from sweep folders, and reading their files."""

from __future__ import annotations

import pytest

from sim.errors import ResultsError
from sim.folders import folder_kind, lookup, read_json, read_table


def test_folder_kind_by_the_file_each_kind_is_written_with(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text("{}")
    assert folder_kind(tmp_path / "run") == "run"
    assert folder_kind(tmp_path / "sweep") == "sweep"
    with pytest.raises(ResultsError, match="neither a run folder"):
        folder_kind(tmp_path)
    with pytest.raises(ResultsError, match="no such folder"):
        folder_kind(tmp_path / "missing")
    with pytest.raises(ResultsError, match="is not a folder"):
        folder_kind(tmp_path / "run" / "summary.json")


def test_read_json_and_lookup_name_the_file_and_key(tmp_path):
    path = tmp_path / "summary.json"
    with pytest.raises(ResultsError, match=r"summary\.json: missing"):
        read_json(path)
    path.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="must hold a JSON object"):
        read_json(path)
    path.write_text('{"allies": {"DEU": {"p": 1}}}')
    document = read_json(path)
    assert lookup(document, "allies.DEU.p", path) == 1
    with pytest.raises(ResultsError) as caught:
        lookup(document, "allies.POL.p", path)
    assert str(caught.value) == f"{path}: allies.POL.p: missing"


def test_read_table_checks_its_columns(tmp_path):
    path = tmp_path / "bands.csv"
    with pytest.raises(ResultsError, match="missing; written by a newer summit-sim"):
        read_table(path, ["year"])
    path.write_text("entity,year\nDEU,2026\n")
    assert read_table(path, ["year"])["entity"].tolist() == ["DEU"]
    with pytest.raises(ResultsError) as caught:
        read_table(path, ["year", "p50"])
    assert str(caught.value) == f"{path}: p50: missing column"
    path.write_text("")
    with pytest.raises(ResultsError, match="cannot be read"):
        read_table(path, ["year"])
