"""The summit command: output, files, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from invoke import summit as _summit


def test_run_prints_the_table_and_writes_the_files(capsys, tmp_path):
    code, out, _ = _summit(capsys, "run", "analytic", "--draws", "2000", "--seed", "4",
                           "--out", str(tmp_path))
    assert code == 0
    assert "DEU Germany" in out and "POL Poland" in out
    assert "P(alliance meets 3.5% core)" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario"] == "analytic"
    assert summary["draws"] == 2000 and summary["seed"] == 4
    assert len(summary["scenario_sha256"]) == 64
    for key in ("all_allies_meet_goal", "alliance_meets_goal"):
        p = summary["probabilities"][key]
        assert p["ci95"][0] <= p["p"] <= p["ci95"][1]
    deu = summary["allies"]["DEU"]
    assert set(deu["core_2035"]) == {"p05", "p50", "p95"}
    assert set(deu["total_2035"]) == {"p05", "p50", "p95"}
    assert 0 <= deu["p_meet_core"]["p"] <= 1 and 0 <= deu["p_meet_goal"]["p"] <= 1
    assert summary["alliance"]["core_usd_base"] == pytest.approx(
        0.02 * 5_455_980e6 + 0.04 * 1_134_841e6)
    with (tmp_path / "allies.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["iso3"] for r in rows] == ["DEU", "POL"]
    assert float(rows[1]["p_meet_core"]) == summary["allies"]["POL"]["p_meet_core"]["p"]


def test_baseline_lists_iceland_as_not_assessed(capsys, tmp_path):
    code, out, _ = _summit(capsys, "run", "--draws", "500", "--out", str(tmp_path))
    assert code == 0
    assert "ISL Iceland" in out and "not assessed" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["allies"]) == 32
    assert summary["allies"]["ISL"]["assessed"] is False
    assert summary["alliance"]["allies_assessed"] == 31


def test_same_seed_same_summary(capsys, tmp_path):
    for name in ("a", "b"):
        _summit(capsys, "run", "analytic", "--draws", "3000", "--seed", "9",
                "--out", str(tmp_path / name))
    assert (tmp_path / "a/summary.json").read_text() == (tmp_path / "b/summary.json").read_text()


def test_validate_reports_file_and_key(capsys, write_toml):
    good = write_toml('[scenario]\nname = "ok"\nextends = "baseline"\n', "good.toml")
    bad = write_toml('[scenario]\nname = "bad"\nextends = "baseline"\n'
                     '[allies.DEU]\npolicy = { adjustment = 1.4 }\n', "bad.toml")
    code, out, err = _summit(capsys, "validate", str(good), str(bad))
    assert code == 2
    assert f"{good}: ok" in out
    assert err.strip() == (f"{bad}: allies.DEU.policy.adjustment: "
                           "must be between 0.0 and 1.0, got 1.4")


@pytest.mark.parametrize("args", [
    ["run", "no-such-scenario"],
    ["run", "--draws", "0"],
    ["run", "--workers", "x"],
    ["run", "--seed", "-3"],
    ["validate"],
    ["frobnicate"],
])
def test_bad_input_is_one_line_and_exit_2(capsys, args):
    code, _, err = _summit(capsys, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_failed_run_leaves_earlier_outputs_intact(capsys, write_toml, tmp_path):
    out = tmp_path / "out"
    _summit(capsys, "run", "analytic", "--draws", "500", "--out", str(out))
    before = (out / "summary.json").read_text()
    bad = write_toml('[scenario]\nname = "bad"\nextends = "baseline"\n[goal]\ncore = "x"\n')
    code, _, err = _summit(capsys, "run", str(bad), "--out", str(out))
    assert code == 2 and "goal.core: must be a number" in err
    assert (out / "summary.json").read_text() == before
    assert sorted(p.name for p in out.iterdir()) == ["allies.csv", "bands.csv", "summary.json"]


def test_out_must_be_a_folder(capsys, tmp_path):
    file = tmp_path / "taken"
    file.write_text("keep me")
    code, _, err = _summit(capsys, "run", "analytic", "--draws", "200", "--out", str(file))
    assert code == 2 and "--out" in err
    assert file.read_text() == "keep me"


def test_allies_lists_all_32_with_sources(capsys):
    code, out, _ = _summit(capsys, "allies")
    assert code == 0
    assert out.count("\n") > 32
    assert "LTU Lithuania" in out and "5.33" in out
    assert "Defence Investment of NATO Countries (2014-2026)" in out
    assert "IMF, World Economic Outlook" in out


def test_console_entry_point_has_no_traceback(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[scenario\nname = 1\n")
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith(f"{bad}: not valid TOML")
    assert "Traceback" not in done.stderr
