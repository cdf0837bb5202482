"""Hostile scenario files: each is refused by ``summit validate`` with exit 2 and one line naming
the file and key, never a traceback (issue 16, case 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from invoke import summit

#: The udcg-2026 scenario's PURL pledge, with the amount left to the test.
PURL_PLEDGE = """\
[scenario]
name = "t"
extends = "udcg-2026"

[[aid.pledges]]
id = "hostile-purl"
donor = "CAN"
channel = "PURL"
program = "purl"
pool = "purl"
currency = "EUR"
month = "2025-12"
amount = {amount}
"""


def _refused(capsys: pytest.CaptureFixture[str], path: Path, key: str) -> str:
    """Validate ``path``; check exit 2 and one line ``FILE: key: ...``; return the line."""
    status, out, err = summit(capsys, "validate", str(path))
    assert status == 2, out + err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"{path}: {key}: "), err
    return err


def test_a_long_chain_of_extends_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "s0.toml").write_text('[scenario]\nname = "s0"\nextends = "baseline"\n')
    for i in range(1, 1000):
        (tmp_path / f"s{i}.toml").write_text(
            f'[scenario]\nname = "s{i}"\nextends = "s{i - 1}.toml"\n')
    status, _, err = summit(capsys, "validate", str(tmp_path / "s999.toml"))
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert ": scenario.extends: a chain of more than 32 files" in err
    assert "(from s999.toml)" in err


@pytest.mark.parametrize("depth", [40, 500])
@pytest.mark.parametrize("kind", ["array", "table"])
def test_deep_nesting_is_refused_in_one_line(tmp_path: Path, capsys, depth: int,
                                              kind: str) -> None:
    value = "[" * depth + "]" * depth if kind == "array" else "{a = " * depth + "1" + "}" * depth
    path = tmp_path / "deep.toml"
    path.write_text(f'[scenario]\nname = "t"\nextends = "baseline"\nx = {value}\n')
    status, _, err = summit(capsys, "validate", str(path))
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"{path}: ") and "more than 32 deep" in err


@pytest.mark.parametrize(("text", "key"), [
    ('[defaults.policy]\npath = "custom"\ncustom = { "²" = 3.0 }\n', "defaults.policy.custom.²"),
    ('[aid.needs]\n"²" = 60e9\n', "aid.needs.²"),
], ids=["custom-path", "needs"])
def test_a_year_of_non_ascii_digits_is_refused(write_toml, capsys, text: str, key: str) -> None:
    path = write_toml('[scenario]\nname = "t"\nextends = "baseline"\n' + text)
    assert "must be a year" in _refused(capsys, path, key)


def test_an_empty_needs_table_is_refused(write_toml, capsys) -> None:
    path = write_toml('[scenario]\nname = "t"\n[aid]\n[aid.needs]\n')
    assert "required: at least one year" in _refused(capsys, path, "aid.needs")


@pytest.mark.parametrize("unit_cost", ["5e-324", "0.5", "1e308"])
def test_a_unit_cost_outside_one_usd_to_ten_trillion_is_refused(write_toml, capsys,
                                                                 unit_cost: str) -> None:
    path = write_toml('[scenario]\nname = "t"\nextends = "ukraine-2026-2030"\n'
                      f"[aid.items.us-weapons]\nunit_cost = {unit_cost}\n")
    assert "must be between" in _refused(capsys, path, "aid.items.us-weapons.unit_cost")


@pytest.mark.parametrize("gdp", ["0.0", "5e-324", "1e308"])
def test_a_gdp_outside_its_hard_bounds_is_refused(write_toml, capsys, gdp: str) -> None:
    path = write_toml(f'[scenario]\nname = "t"\nextends = "baseline"\n'
                      f"[allies.DEU]\ngdp_base = {gdp}\n")
    assert "must be between" in _refused(capsys, path, "allies.DEU.gdp_base")


@pytest.mark.parametrize("amount", ["1e300", "1e14"])
def test_a_pledge_beyond_ten_trillion_is_refused(write_toml, capsys, amount: str) -> None:
    path = write_toml(PURL_PLEDGE.format(amount=amount))
    assert "must be between" in _refused(capsys, path, "aid.pledges[0].amount")


def test_a_large_but_possible_pledge_is_only_warned_about(write_toml, capsys) -> None:
    path = write_toml(PURL_PLEDGE.format(amount="5e12"))
    status, _, err = summit(capsys, "validate", str(path))
    assert status == 0, err
    assert f"{path}: aid.pledges[0].amount: " in err and "typical range" in err
