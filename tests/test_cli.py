"""The summit command: output, files, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

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
    assert sorted(p.name for p in out.iterdir()) == ["allies.csv", "bands.csv", "outcomes.npz",
                                                     "probabilities.csv", "summary.json"]


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


# --- validate: what a file inherits, warnings, --strict, sweep files ---------------------------

SWEEPS = Path(__file__).resolve().parent.parent / "scenarios" / "sweeps"

PLEDGE = ('\n[[aid.pledges]]\nid = "fra-2026"\ndonor = "FRA"\namount = 1e9\ncurrency = "EUR"\n'
          'month = "2026-03"\n')


def test_validate_says_what_an_extending_file_changed(capsys, write_toml):
    # commitment.follow, not policy.adjustment: with the commitment on, as in the baseline, an
    # adjustment cannot take effect and validate would warn.
    child = write_toml('[scenario]\nname = "c"\nextends = "udcg-2026"\n[defaults.commitment]\n'
                       'follow = 0.2\n' + PLEDGE
                       + '\n[[aid.pledges]]\nid = "gbr-lmm"\nremove = true\n', "c.toml")
    code, out, err = _summit(capsys, "validate", str(child), "baseline")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"{child}: ok (c, 31 assessed allies, 2026-2035)",
        "  extends udcg-2026: sets defaults.commitment.follow; adds aid.pledges[id=fra-2026]; "
        "removes aid.pledges[id=gbr-lmm]; inherits the rest, with 6 of 7 aid.pledges",
        "baseline: ok (baseline, 31 assessed allies, 2026-2035)",
    ]


ATYPICAL = ('[scenario]\nname = "t"\nextends = "baseline"\n[goal]\ncore = 0.035\n'
            'review_tolerance = 10\n')


def test_validate_prints_warnings_and_strict_makes_them_errors(capsys, write_toml):
    path = write_toml(ATYPICAL, "my.toml")
    lines = [f"{path}: goal.core: 0.035 is outside the typical range 1-10 (% of GDP); a fraction "
             "where a percent is meant?",
             f"{path}: goal.review_tolerance: 10 is outside the typical range 0-1 (pp of GDP)"]
    code, out, err = _summit(capsys, "validate", str(path))
    assert code == 0 and err.splitlines() == lines
    assert out.startswith(f"{path}: ok (t,")
    code, out, err = _summit(capsys, "validate", "--strict", str(path), "baseline")
    assert code == 2 and err.splitlines() == lines
    assert out.splitlines() == ["baseline: ok (baseline, 31 assessed allies, 2026-2035)"]


def test_run_prints_warnings_and_strict_refuses_to_run(capsys, write_toml, tmp_path):
    path = write_toml(ATYPICAL.replace("extends = \"baseline\"", "extends = \"analytic\""))
    code, out, err = _summit(capsys, "run", str(path), "--draws", "300")
    assert code == 0 and "P(alliance meets 0.035% core)" in out
    assert err.splitlines()[:2] == [
        f"{path}: goal.core: 0.035 is outside the typical range 1-10 (% of GDP); a fraction "
        "where a percent is meant?",
        f"{path}: goal.review_tolerance: 10 is outside the typical range 0-1 (pp of GDP)"]
    code, out, err = _summit(capsys, "run", "--strict", str(path), "--draws", "300",
                             "--out", str(tmp_path / "out"))
    assert code == 2 and out == "" and len(err.splitlines()) == 2
    assert not (tmp_path / "out").exists()
    code, _, err = _summit(capsys, "run", "--strict", "analytic", "--draws", "300")
    assert code == 0 and err == ""


def test_validate_checks_the_shipped_sweeps(capsys):
    lhs, sobol = (str(SWEEPS / name) for name in ("credibility-growth.toml", "sensitivity.toml"))
    code, out, err = _summit(capsys, "validate", lhs, sobol, "--strict")
    assert code == 0 and err == ""
    assert out.splitlines() == [f"{lhs}: ok (sweep, 64 variants of baseline)",
                                f"{sobol}: ok (sweep, 1536 variants of baseline)"]


SWEEP = """[sweep]
base = "{base}"
design = "lhs"
samples = 8
[[sweep.parameters]]
key = "{key}"
{takes}
"""


@pytest.mark.parametrize(("key", "takes", "where", "problem"), [
    ("defaults.policy.adjustment", "range = [0.5, 1.4]", "sweep.parameters.0.range",
     "defaults.policy.adjustment: must be between 0.0 and 1.0, got 1.4"),
    ("defaults.policy.path", 'values = ["linear", "lineer"]', "sweep.parameters.0.values",
     "defaults.policy.path: must be one of"),
    ("goal.year", "range = [2030, 2040]", "sweep.parameters.0.range",
     "goal.year: must be an integer, got a number"),
    ("defaults.policy.adjustmen", "range = [0.1, 0.6]", "sweep.parameters.0.key",
     "did you mean 'adjustment'?"),
    ("goal.core", 'distribution = { name = "triangular", low = 2, mode = 3, high = 120 }',
     "sweep.parameters.0.distribution", "goal.core: must be at least 0.0 and below 100.0"),
])
def test_validate_checks_each_parameter_of_a_sweep(capsys, write_toml, key, takes, where,
                                                   problem):
    from sim.errors import SweepError
    from sim.sweeps.spec import SweepSpec

    path = write_toml(SWEEP.format(base="baseline", key=key, takes=takes), "sweep.toml")
    code, out, err = _summit(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"{path}: {where}: ") and problem in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(SweepError):
        SweepSpec.from_file(path)


def test_validate_warns_of_a_sweep_range_outside_the_typical_one(capsys, write_toml):
    path = write_toml(SWEEP.format(base="baseline", key="defaults.policy.noise",
                                   takes="range = [0.05, 2.0]"), "sweep.toml")
    code, out, err = _summit(capsys, "validate", str(path))
    assert code == 0 and out == f"{path}: ok (sweep, 8 variants of baseline)\n"
    assert err == (f"{path}: sweep.parameters.0.range: defaults.policy.noise: 2 is outside the "
                   "typical range 0-1 (pp of GDP a year)\n")
    code, out, _ = _summit(capsys, "validate", "--strict", str(path))
    assert code == 2 and out == ""


def test_a_sweep_reports_its_base_scenarios_mistakes_and_warnings(capsys, write_toml):
    base = write_toml(ATYPICAL, "base.toml")
    path = write_toml(SWEEP.format(base="base.toml", key="defaults.commitment.follow",
                                   takes="range = [0.1, 0.6]"), "sweep.toml")
    code, out, err = _summit(capsys, "validate", str(path))
    assert code == 0 and out == f"{path}: ok (sweep, 8 variants of t)\n"
    assert [line.split(": ")[:2] for line in err.splitlines()] == [
        [str(base), "goal.core"], [str(base), "goal.review_tolerance"]]
    write_toml(ATYPICAL + "[defaults.policy]\nadjustment = 1.4\n", "base.toml")
    code, _, err = _summit(capsys, "validate", str(path))
    assert code == 2
    assert err.strip() == (f"{base}: defaults.policy.adjustment: must be between 0.0 and 1.0, "
                           "got 1.4")


def test_run_says_a_sweep_file_is_not_a_scenario(capsys):
    code, _, err = _summit(capsys, "run", str(SWEEPS / "sensitivity.toml"))
    assert code == 2
    assert err.strip() == (f"{SWEEPS / 'sensitivity.toml'}: is a sweep file, not a scenario: "
                           "`summit sweep` runs it, `summit validate` checks it")
