"""The event engine's trace, and the summit trace / run --engine commands."""

from __future__ import annotations

import numpy as np
import pytest
from aid_strategies import scenario_with
from invoke import summit as _summit

from sim.aid import event
from sim.aid.sampling import sample_aid


def test_trace_tells_the_story_of_a_draw_in_order():
    model = scenario_with({
        "needs": {"2026": 1e9},
        "defaults": {"reliability": 1.0, "lag": 1},
        "items": {"interceptor": {"unit_cost": 4e6, "capacity": 20}},
        "pools": {"purl": {"package": 5e6, "lag": 1}},
        "pledges": [
            {"id": "gbr", "donor": "GBR", "program": "ad", "quantity": 30,
             "item": "interceptor", "month": "2026-02"},
            {"id": "deu", "donor": "DEU", "program": "ad", "quantity": 5,
             "item": "interceptor", "month": "2026-02",
             "condition": {"kind": "others_total_at_least", "program": "ad",
                           "threshold": 30, "deadline": "2026-06"}},
            {"id": "nor", "donor": "NOR", "program": "purl", "pool": "purl", "amount": 12e6,
             "month": "2026-01"},
        ],
    }).aid
    lines: list[str] = []
    event.simulate(model, sample_aid(model, np.random.default_rng(0), 1), trace=lines)
    assert lines == [
        "2026-01  pledge nor: NOR pledges $12.0m (bilateral, purl)",
        "2026-02  pledge gbr: GBR pledges 30 units of interceptor (bilateral, ad)",
        "2026-02  pledge nor: NOR pays $12.0m after a 1-month contracting lag",
        "2026-02  pool purl receives $12.0m from NOR",
        "2026-02  pool purl buys 2 package(s) of $5.0m; balance $2.0m",
        "2026-03  pledge gbr: GBR pays $120.0m after a 1-month contracting lag",
        "2026-03  pledge gbr: 30 units of interceptor ordered",
        "2026-03  pool purl: 2 package(s) delivered, $10.0m",
        "2026-03  line interceptor: 20 delivered for gbr (10 to go)",
        "2026-04  line interceptor: 10 delivered for gbr",
        "2026-06  deadline deu: DEU pledged 5 units of interceptor if others' pledges to ad "
        "reach 30 units; condition holds: the pledge fires (greatest fixed point)",
        "2026-07  pledge deu: DEU pays $20.0m after a 1-month contracting lag",
        "2026-07  pledge deu: 5 units of interceptor ordered",
        "2026-07  line interceptor: 5 delivered for deu",
    ]


def test_summit_trace_prints_a_readable_log(capsys):
    code, out, _ = _summit(capsys, "trace", "udcg-2026", "--draw", "7")
    assert code == 0
    assert out.startswith("aid trace | scenario udcg-2026 | draw 7 of 20000 | seed 0\n")
    assert "deadline deu-interceptors: DEU pledged 5 units of interceptor if others' pledges to " \
           "air-defence-interceptors reach 30 units" in out
    assert "pool purl receives" in out
    assert "2026: delivered $" in out and "$60.00bn needed" in out


@pytest.mark.parametrize(("args", "message"), [
    (["trace", "baseline"], "has no [aid] table"),
    (["trace", "udcg-2026", "--draw", "10", "--draws", "10"], "--draw: must be below"),
])
def test_summit_trace_rejects_bad_requests(capsys, args, message):
    code, _, err = _summit(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_run_with_either_engine_prints_the_same_aid_section(capsys):
    outputs = []
    for engine in ("vector", "event"):
        code, out, _ = _summit(capsys, "run", "udcg-2026", "--draws", "200", "--engine", engine)
        assert code == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert "Aid to Ukraine (delivered, not pledged" in outputs[0]
    assert "deu-interceptors" in outputs[0] and "only if donors count on each other" in outputs[0]


def test_a_multi_year_trace_has_year_headings_and_filters_by_donor(capsys):
    code, out, _ = _summit(capsys, "trace", "ukraine-2026-2030", "--draw", "3", "--draws",
                           "100", "--donor", "DEU")
    assert code == 0
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("---")] == [
        f"--- {year} ---" for year in range(2025, 2031)]
    events = [line for line in lines[1:] if line[:1].isdigit() and "  " in line]
    assert events and all("DEU" in line for line in events)
    # Germany's tranches arrive in part (Kiel: 39.9% of its 2022 promises delivered).
    assert any("% of the pledge) after a" in line for line in events)
    assert lines[-5:][0].startswith("2026: delivered $")


def test_trace_refuses_a_donor_without_lines(capsys):
    code, _, err = _summit(capsys, "trace", "ukraine-2026-2030", "--donor", "DEX")
    assert code == 2 and "did you mean 'DEU'" in err
