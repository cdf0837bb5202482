"""The interactive page (``summit report --interactive``): its charts carry the folder's numbers,
it is self-contained, user text cannot escape its script, and without the extra it fails in one
line. (That it renders in a browser: test_browser.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from invoke import summit

import sim
from sim.errors import ResultsError
from sim.reports.interactive import script_json, write_interactive
from sim.reports.run_files import write_outputs
from sim.sweeps.sensitivity import sobol_indices

ROOT = Path(__file__).resolve().parents[2]
RUN_CHARTS = ["alliance-fan", "ally-shares", "p-goal", "shortfall", "aid-delivered",
              "aid-needs-met"]
def specs_of(page: str) -> dict[str, Any]:
    """The charts' Vega-Lite specifications embedded in the page, by container id."""
    found = re.search(r"^const specs = (.*);$", page, flags=re.MULTILINE)
    assert found, "no specs in the page"
    return json.loads(found.group(1))


def data_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline data row of a (layered) specification."""
    rows = list(spec.get("data", {}).get("values", []))
    for layer in spec.get("layer", []):
        rows += data_of(layer)
    return rows


def params_of(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec.get("params", []) if "bind" in p}


def assert_self_contained(page: str) -> None:
    """No file or address the page would fetch, and no menu linking to the online editor (the
    browser test watches the requests themselves)."""
    assert re.findall(r"<script\b[^>]*>", page) == ["<script>", "<script>"]
    markup = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.DOTALL)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", markup)
    assert not re.search(r"\b(src|href|url)\b", markup)
    assert "http" not in json.dumps(specs_of(page))
    assert re.search(r'^const options = \{"actions":false', page, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def aid_page(aid_run, tmp_path_factory) -> tuple[Path, str]:
    """The interactive page of the small ``udcg-2026`` run (spending and aid)."""
    _, folder = aid_run
    out = write_interactive(folder, tmp_path_factory.mktemp("interactive-run"))
    return folder, out.read_text(encoding="utf-8")


def test_a_run_page_has_every_chart_with_the_run_folders_numbers(aid_page) -> None:
    folder, page = aid_page
    specs = specs_of(page)
    assert list(specs) == [f"chart-{name}" for name in RUN_CHARTS]
    for name in RUN_CHARTS:
        assert f'<div class="chart" id="chart-{name}"></div>' in page
    assert_self_contained(page)
    bands = pd.read_csv(folder / "bands.csv")
    alliance = bands[bands["entity"] == "alliance"].set_index(["measure", "year"])
    fan = [r for r in data_of(specs["chart-alliance-fan"]) if r.get("entity") == "alliance"]
    assert len(fan) == len(alliance)
    for row in fan:
        for q in ("p05", "p25", "p50", "p75", "p95"):
            assert row[q] == pytest.approx(alliance.loc[(row["measure"], row["year"]), q],
                                           abs=1e-6)
    summary = json.loads((folder / "summary.json").read_text())
    assessed = [c for c, a in summary["allies"].items() if a.get("assessed", True)]
    allies = params_of(specs["chart-ally-shares"])["ally"]["bind"]
    assert allies["options"] == assessed
    assert set(params_of(specs["chart-alliance-fan"])) == {"fan_measure"}
    assert set(params_of(specs["chart-ally-shares"])) == {"ally", "ally_measure"}
    probabilities = {(r["ally"], r["which"]): r for r in data_of(specs["chart-p-goal"])}
    deu = summary["allies"]["DEU"]["p_meet_goal"]
    assert probabilities["DEU", "p_meet_goal"]["p"] == pytest.approx(deu["p"])
    assert [probabilities["DEU", "p_meet_goal"][k] for k in ("low", "high")] == \
        pytest.approx(deu["ci95"])
    aid = pd.read_csv(folder / "aid.csv")
    met = data_of(specs["chart-aid-needs-met"])
    assert [r["p_needs_met"] for r in met] == pytest.approx(aid["p_needs_met"].tolist())


def test_every_run_chart_has_tooltips(aid_page) -> None:
    _, page = aid_page
    for name, spec in specs_of(page).items():
        assert '"tooltip"' in json.dumps(spec), name


def test_the_static_briefing_is_still_written_beside_it(aid_run, tmp_path, capsys) -> None:
    _, folder = aid_run
    status, _, err = summit(capsys, "report", str(folder), "--out", str(tmp_path), "--interactive")
    assert status == 0, err
    assert {"report.html", "report.md", "alliance-fan.png", "report-interactive.html"} <= \
        {p.name for p in tmp_path.iterdir()}
    assert f"wrote {tmp_path / 'report-interactive.html'}" in err


def test_a_run_without_aid_has_no_aid_charts(baseline_run, tmp_path) -> None:
    _, folder = baseline_run
    specs = specs_of(write_interactive(folder, tmp_path).read_text(encoding="utf-8"))
    assert list(specs) == [f"chart-{name}" for name in RUN_CHARTS[:4]]


def test_a_sweep_page_has_the_metric_against_each_input_and_the_sobol_indices(
        small_sobol_sweep, tmp_path, capsys) -> None:
    status, _, err = summit(capsys, "report", str(small_sobol_sweep), "--out", str(tmp_path),
                            "--interactive")
    assert status == 0, err
    page = (tmp_path / "report-interactive.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    specs = specs_of(page)
    assert list(specs) == ["chart-sweep-scatter", "chart-sobol-indices"]
    table = pd.read_parquet(small_sobol_sweep / "results.parquet")
    scatter = params_of(specs["chart-sweep-scatter"])
    assert scatter["sweep_input"]["bind"]["labels"] == ["commitment.follow",
                                                       "related.adjustment"]
    assert scatter["sweep_metric"]["bind"]["labels"][0] == "P(alliance meets goal)"
    rows = data_of(specs["chart-sweep-scatter"])
    # Inlined to 8 decimals.
    assert [r["x0"] for r in rows] == pytest.approx(
        table["defaults.commitment.follow"].tolist(), abs=1e-8)
    assert [r["m0"] for r in rows] == pytest.approx(table["alliance_meets_goal"].tolist(),
                                                    abs=1e-8)
    keys = ["defaults.commitment.follow", "defaults.related.adjustment"]
    expected = sobol_indices(table, keys, "alliance_meets_goal", seed=3)
    shown = {(r["input"], r["index"]): r for r in data_of(specs["chart-sobol-indices"])
             if r["metric"] == "alliance_meets_goal"}
    assert shown["related.adjustment", "ST"]["value"] == pytest.approx(
        expected.loc["defaults.related.adjustment", "ST"], abs=1e-6)


def test_without_the_extra_the_option_fails_in_one_line_and_writes_nothing(
        aid_run, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "altair", None)  # import altair raises ImportError
    _, folder = aid_run
    status, _, err = summit(capsys, "report", str(folder), "--out", str(tmp_path / "out"),
                            "--interactive")
    assert status == 2
    assert err.strip().splitlines() == ["--interactive needs altair and vl-convert-python: "
                                        "install summit-sim[interactive]"]
    assert not (tmp_path / "out").exists()


def test_a_report_without_the_option_imports_no_altair(aid_run, tmp_path) -> None:
    _, folder = aid_run
    probe = ("import sys\nfrom sim.cli import main\n"
             f"try:\n    main(['report', {str(folder)!r}, '--out', {str(tmp_path)!r}])\n"
             "except SystemExit as done:\n    assert not done.code, done.code\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('altair', 'vl_convert', 'jinja2')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_new_run_in_the_folder_removes_an_earlier_interactive_page(aid_run, tmp_path) -> None:
    results, _ = aid_run
    write_outputs(results, tmp_path / "run")
    (tmp_path / "run" / "report-interactive.html").write_text("of the earlier run")
    write_outputs(results, tmp_path / "run")
    assert not (tmp_path / "run" / "report-interactive.html").exists()


#: A scenario name that closes the page's script and opens another, in HTML and in the JSON.
HOSTILE = """\
[scenario]
name = "</script><script>alert(1)</script><!-- & \\u2028"
extends = "baseline"
"""


def test_a_hostile_scenario_name_stays_text_in_the_html_and_in_the_script(tmp_path) -> None:
    (tmp_path / "hostile.toml").write_text(HOSTILE, encoding="utf-8")
    name = sim.load_scenario(tmp_path / "hostile.toml").name
    write_outputs(sim.run(sim.load_scenario(tmp_path / "hostile.toml"), draws=200, seed=1),
                  tmp_path / "run")
    page = write_interactive(tmp_path / "run").read_text(encoding="utf-8")
    # The page's own two scripts, the bundle and the embedding, and nothing else.
    assert page.count("<script") == 2 and page.lower().count("</script") == 2
    assert "<!--" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page  # the headings, as text
    fan = specs_of(page)["chart-alliance-fan"]
    assert name in fan["title"]  # read back whole from the escaped JSON


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                    max_leaves=10))
def test_script_json_reads_back_and_holds_no_character_that_ends_a_script(value) -> None:
    text = script_json(value)
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == value


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s["allies"]["DEU"].update(assessed="yes"),
     "allies.DEU.assessed: must be true or false, got 'yes'"),
    (lambda s: [a.update(assessed=False) for a in s["allies"].values()],
     "allies: holds no assessed ally"),
    (lambda s: s["allies"]["DEU"].pop("core_shortfall_usd_2035"),
     "allies.DEU.core_shortfall_usd_2035: missing"),
])
def test_a_malformed_run_folder_is_a_results_error_naming_file_and_key(
        aid_run, tmp_path, edit, message) -> None:
    _, folder = aid_run
    shutil.copytree(folder, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    edit(summary)
    (tmp_path / "run" / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultsError, match=re.escape(message)) as raised:
        write_interactive(tmp_path / "run", tmp_path)
    assert str(raised.value).startswith(str(tmp_path / "run" / "summary.json"))
    assert not (tmp_path / "report-interactive.html").exists()
