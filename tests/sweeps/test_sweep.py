"""Sweeps: the sweep file's checks, the designs' coverage, determinism, failures and resume."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from invoke import summit
from scipy.stats import norm
from sweep_files import FOLLOW, GROWTH, sweep_text

from sim import ScenarioError, SweepSpec, sweep
from sim.errors import OptionError, ResultsError, SweepError
from sim.files import JOURNAL, MANIFEST
from sim.sweeps.designs import unit_points, variant_seed
from sim.sweeps.executors import local_cluster
from sim.sweeps.record import SweepRecord, inputs_digest, manifest, sweep_inputs
from sim.sweeps.spec import Parameter
from sim.sweeps.sweep import read_journal

ROOT = Path(__file__).resolve().parents[2]

LHS = sweep_text(design="lhs", samples="{samples}", seed=9, draws="{draws}",
                 parameters=(FOLLOW, GROWTH))


def lhs(write_toml, samples: int = 6, draws: int = 300) -> Path:
    return write_toml(LHS.format(samples=samples, draws=draws), "sweep.toml")


@pytest.fixture(scope="module")
def pool_sweep(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The six-variant LHS sweep on a pool of two processes, run once for the tests that compare
    other executors with it: its folder and its table."""
    folder = tmp_path_factory.mktemp("pool-sweep")
    path = folder / "sweep.toml"
    path.write_text(LHS.format(samples=6, draws=300), encoding="utf-8")
    return folder / "out", sweep(path, out=folder / "out", workers=2)


# --- the sweep file ----------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "key", "problem"), [
    (("design = \"lhs\"", "design = \"lsh\""), "sweep.design", "did you mean 'lhs'?"),
    (("seed = 9", "sed = 9"), "sweep.sed", "did you mean 'seed'?"),
    (("range = [0.1, 0.6]", "range = [0.6, 0.1]"), "sweep.parameters.0.range",
     "low must be below high"),
    (("range = [0.1, 0.6]", "range = [0.1]"), "sweep.parameters.0.range", "two numbers"),
    (("range = [0.1, 0.6]", "rang = [0.1, 0.6]"), "sweep.parameters.0.rang",
     "did you mean 'range'?"),
    (("\"defaults.commitment.follow\"", "\"defaults.commitment.follo\""),
     "sweep.parameters.0.key", "did you mean 'follow'?"),
    (("\"defaults.growth.mean\"", "\"defaults.commitment.follow\""),
     "sweep.parameters.1.key", "varies 'defaults.commitment.follow' twice"),
    (("design = \"lhs\"", "design = \"sobol\""), "sweep.samples", "power of two"),
    (("design = \"lhs\"", "design = \"grid\""), "sweep.parameters.0.range",
     "a grid needs values"),
    (("draws = 300", "draws = 0"), "sweep.draws", "whole number >= 1"),
    (("range = [0.1, 0.6]", "distribution = { name = \"normall\", mean = 0.3, sd = 0.1 }"),
     "sweep.parameters.0.distribution.name", "did you mean 'normal'?"),
    (("range = [0.1, 0.6]", "distribution = { name = \"normal\", mean = 0.3, sd = 0 }"),
     "sweep.parameters.0.distribution.sd", "must be above 0"),
    (("range = [0.1, 0.6]", "distribution = { name = \"normal\", mean = 0.3, sdd = 1 }"),
     "sweep.parameters.0.distribution.sdd", "did you mean 'sd'?"),
    (("range = [0.1, 0.6]", "distribution = { name = \"triangular\", low = 0.1, mode = 0.7, "
      "high = 0.6 }"), "sweep.parameters.0.distribution", "low <= mode <= high"),
    (("range = [0.1, 0.6]", "range = [0.1, 0.6]\nvalues = [0.2]"), "sweep.parameters.0",
     "exactly one of"),
    (("base = \"baseline\"", "base = \"baselin\""), "sweep.base",
     "'baselin': no such file or shipped scenario"),
    (("base = \"baseline\"", "base = \"baselin\""), "sweep.base", "did you mean 'baseline'?"),
    (("[sweep]", "[sweep"), None, "not valid TOML"),
])
def test_sweep_file_errors_name_file_and_key(write_toml, change, key, problem) -> None:
    path = write_toml(LHS.format(samples=6, draws=300).replace(*change), "bad.toml")
    with pytest.raises(SweepError) as err:
        SweepSpec.from_file(path)
    assert not isinstance(err.value, ScenarioError)  # a sweep file is not a scenario
    assert err.value.file == str(path)
    assert err.value.key == key
    assert problem in err.value.problem


def test_a_mistake_in_the_base_scenario_stays_a_scenario_error_naming_it(write_toml) -> None:
    scenario = write_toml('extends = "baseline"\n[goal]\ncore = "high"\n', "base.toml")
    path = write_toml(LHS.format(samples=6, draws=300).replace("\"baseline\"", "\"base.toml\""),
                      "sweep.toml")
    with pytest.raises(ScenarioError) as err:
        SweepSpec.from_file(path)
    assert not isinstance(err.value, SweepError)
    assert err.value.file == str(scenario)


def test_a_bad_sweep_file_is_one_line_and_exit_2(write_toml, tmp_path, capsys) -> None:
    path = write_toml(LHS.format(samples=6, draws=300).replace("lhs", "lsh"), "bad.toml")
    status, _, err = summit(capsys, "sweep", str(path), "--out", str(tmp_path / "out"))
    assert status == 2
    assert err.strip().splitlines() == [
        f"{path}: sweep.design: must be one of grid, lhs, sobol, got 'lsh' (did you mean 'lhs'?)"]


def test_the_shipped_examples_are_valid() -> None:
    spec = SweepSpec.from_file(ROOT / "scenarios" / "sweeps" / "credibility-growth.toml")
    assert (spec.design, spec.samples, len(spec.variants())) == ("lhs", 64, 64)
    spec = SweepSpec.from_file(ROOT / "scenarios" / "sweeps" / "sensitivity.toml")
    assert (spec.design, spec.samples, manifest(spec)["variants"]) == ("sobol", 256, 256 * 6)


# --- designs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 9, 12345])
def test_lhs_hits_each_stratum_once_per_dimension(seed) -> None:
    points = unit_points("lhs", 16, 3, seed)  # (samples, dimensions)
    strata = np.floor(points * 16).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(16))


def saltelli_blocks(points: np.ndarray, dimensions: int) -> np.ndarray:
    """The design's rows as (samples, D + 2, D) blocks: A, then D rows AB_j, then B."""
    return points.reshape(-1, dimensions + 2, dimensions)


@pytest.mark.parametrize("seed", [0, 9, 12345])
def test_sobol_is_saltellis_scheme_of_two_balanced_matrices(seed) -> None:
    points = unit_points("sobol", 32, 3, seed)  # (32 * (3 + 2), 3)
    assert points.shape == (160, 3)
    blocks = saltelli_blocks(points, 3)
    a, b = blocks[:, 0], blocks[:, -1]  # (samples, dimensions) each
    for j in range(3):
        # Row AB_j takes A's values except column j, which it takes from B.
        expected = a.copy()
        expected[:, j] = b[:, j]
        np.testing.assert_array_equal(blocks[:, 1 + j], expected)
    # A and B are halves of one scrambled Sobol sequence: each balanced in halves and quarters.
    for matrix in (a, b):
        for parts in (2, 4):
            for column in np.floor(matrix * parts).astype(int).T:
                assert np.bincount(column, minlength=parts).tolist() == [32 // parts] * parts
    assert not np.array_equal(a, b)


def test_sobol_points_are_salibs_sample_from_the_design_stream() -> None:
    from SALib.sample import sobol as saltelli

    rng = np.random.default_rng(np.random.SeedSequence(9, spawn_key=(0,)))
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0]] * 2}
    np.testing.assert_array_equal(
        unit_points("sobol", 8, 2, 9),
        saltelli.sample(problem, 8, calc_second_order=False, scramble=True, seed=rng))
    np.testing.assert_array_equal(unit_points("sobol", 8, 2, 9), unit_points("sobol", 8, 2, 9))


@pytest.mark.parametrize("parameter", [
    Parameter("x", distribution=("normal", (0.3, 0.1))),
    Parameter("x", distribution=("triangular", (0.1, 0.2, 0.6))),
    Parameter("x", low=0.1, high=0.6),
    Parameter("x", values=(1, 2, 3)),
])
def test_the_ends_of_the_unit_interval_give_finite_values_in_range(parameter) -> None:
    low, high = parameter.at(0.0), parameter.at(1.0)
    if parameter.values is not None:
        assert (low, high) == (1, 3)
    else:
        assert np.isfinite([low, high]).all() and low < high
    if parameter.distribution is not None and parameter.distribution[0] == "normal":
        # Half a step of the Sobol grid inward: about 6 standard deviations, not infinity.
        assert low == pytest.approx(0.3 - 6.1 * 0.1, abs=0.01)


def test_variants_stay_in_their_ranges_and_grids_take_every_combination(write_toml) -> None:
    spec = SweepSpec.from_file(lhs(write_toml, samples=16))
    adjustment = [v["defaults.commitment.follow"] for v in spec.variants()]
    assert 0.1 <= min(adjustment) and max(adjustment) <= 0.6
    # One value in each sixteenth of the range: the strata carry through to the values.
    assert sorted(int((a - 0.1) / 0.5 * 16) for a in adjustment) == list(range(16))
    grid = write_toml("""
[sweep]
base = "baseline"
design = "grid"
[[sweep.parameters]]
key = "defaults.commitment.follow"
values = [0.2, 0.4]
[[sweep.parameters]]
key = "goal.year"
values = [2033, 2035, 2037]
""", "grid.toml")
    variants = SweepSpec.from_file(grid).variants()
    assert len(variants) == 6
    assert {(v["defaults.commitment.follow"], v["goal.year"]) for v in variants} == {
        (a, y) for a in (0.2, 0.4) for y in (2033, 2035, 2037)}


def test_a_distribution_is_sampled_through_its_quantiles(write_toml) -> None:
    path = write_toml(LHS.format(samples=16, draws=300).replace(
        "range = [0.1, 0.6]", "distribution = { name = \"normal\", mean = 0.3, sd = 0.1 }").replace(
        "range = [0.005, 0.025]",
        "distribution = { name = \"triangular\", low = 0.005, mode = 0.01, high = 0.025 }"),
        "sweep.toml")
    variants = SweepSpec.from_file(path).variants()
    adjustment = np.array([v["defaults.commitment.follow"] for v in variants])
    # Back through the normal's distribution function, the LHS strata reappear.
    assert sorted(np.floor(norm.cdf(adjustment, 0.3, 0.1) * 16).astype(int)) == list(range(16))
    growth = [v["defaults.growth.mean"] for v in variants]
    assert 0.005 <= min(growth) and max(growth) <= 0.025


def test_a_sobol_sweep_runs_samples_times_parameters_plus_two_variants(write_toml) -> None:
    spec = SweepSpec.from_file(write_toml(LHS.format(samples=8, draws=300).replace(
        "\"lhs\"", "\"sobol\""), "sweep.toml"))
    variants = spec.variants()
    assert len(variants) == 8 * (2 + 2)
    assert manifest(spec)["variants"] == 32
    adjustment = [v["defaults.commitment.follow"] for v in variants]
    assert 0.1 <= min(adjustment) and max(adjustment) <= 0.6


def test_a_variant_seed_depends_on_the_sweep_seed_and_index_only() -> None:
    seeds = [variant_seed(9, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert seeds == [variant_seed(9, i) for i in range(100)]
    assert variant_seed(10, 0) != seeds[0]


# --- running -----------------------------------------------------------------------------------


def test_tables_are_identical_for_one_and_two_workers(write_toml, tmp_path, pool_sweep) -> None:
    path = lhs(write_toml)
    one = sweep(path, out=tmp_path / "one", workers=1)
    pool, two = pool_sweep
    pd.testing.assert_frame_equal(one, two)
    assert (tmp_path / "one" / "results.csv").read_bytes() == (pool / "results.csv").read_bytes()
    assert one["index"].tolist() == list(range(6))
    assert (one["status"] == "ok").all()
    assert ((one["alliance_meets_goal_lo"] <= one["alliance_meets_goal"])
            & (one["alliance_meets_goal"] <= one["alliance_meets_goal_hi"])).all()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "results.parquet"), one)
    # The table holds only what the sweep determines; the host and timings go to the log.
    assert "host=" in (tmp_path / "one" / "sweep.log").read_text()


def test_a_failed_variant_is_recorded_and_the_sweep_goes_on(write_toml, tmp_path) -> None:
    path = write_toml("""
[sweep]
base = "baseline"
design = "grid"
draws = 300
[[sweep.parameters]]
key = "goal.total"
values = [5.0, 2.0, 4.0]
""", "grid.toml")
    table = sweep(path, out=tmp_path / "out")
    assert table["status"].tolist() == ["ok", "failed", "ok"]
    assert table["error"].tolist()[1] == "goal.total: must be at least goal.core (3.5), got 2.0"
    assert table["error"].tolist()[0] == ""
    assert np.isnan(table["alliance_meets_goal"][1])
    assert not np.isnan(table["alliance_meets_goal"][2])


def test_out_must_be_new_and_resume_must_be_the_same_sweep(write_toml, tmp_path) -> None:
    path = lhs(write_toml, samples=2)
    sweep(path, out=tmp_path / "out")
    with pytest.raises(OptionError, match="already holds a sweep"):
        sweep(path, out=tmp_path / "out")
    other = write_toml(LHS.format(samples=2, draws=301), "other.toml")
    with pytest.raises(OptionError, match="holds another sweep"):
        sweep(other, out=tmp_path / "out", resume=True)
    with pytest.raises(OptionError, match="holds no sweep"):
        sweep(path, out=tmp_path / "empty", resume=True)


def test_resuming_from_a_damaged_manifest_is_one_line_and_exit_2(write_toml, tmp_path,
                                                                  capsys) -> None:
    path = lhs(write_toml, samples=2)
    sweep(path, out=tmp_path / "out")
    manifest = tmp_path / "out" / MANIFEST
    manifest.write_text('{"digest": ', encoding="utf-8")  # cut off mid-write by another tool
    status, _, err = summit(capsys, "sweep", str(path), "--out", str(tmp_path / "out"),
                            "--resume")
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"{manifest}: cannot be read:")


def test_progress_off_a_terminal_is_plain_lines(write_toml, tmp_path, capsys) -> None:
    status, _, err = summit(capsys, "sweep", str(lhs(write_toml, samples=2)),
                            "--out", str(tmp_path / "out"))
    assert status == 0
    assert "sweep: 2/2 variants" in err
    assert "2 variants (0 failed)" in err


#: ``summit sweep`` that kills itself with SIGKILL as it starts variant ``KILLED_AT``: a kill -9
#: at a point fixed in the sweep, not at a moment that depends on the machine's speed.
KILLED_MID_SWEEP = """
import importlib, os, signal, sys
from sim.cli import main

module = importlib.import_module("sim.sweeps.sweep")
run_variant = module.run_variant

def run_or_die(base, index, *args):
    if index == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
    return run_variant(base, index, *args)

module.run_variant = run_or_die
main(["sweep", sys.argv[1], "--out", sys.argv[2]])
"""


def test_resume_after_kill_9_gives_the_uninterrupted_table(write_toml, tmp_path) -> None:
    path = lhs(write_toml, samples=8)
    spec = SweepSpec.from_file(path)
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.run([sys.executable, "-c", KILLED_MID_SWEEP, str(path), str(killed),
                              "3"], env=env, stderr=subprocess.DEVNULL, check=False)
    assert process.returncode == -signal.SIGKILL
    # Variants 0 to 2 were journaled; variant 3 was in flight.
    assert sorted(row["index"] for row in read_journal(killed, spec)) == [0, 1, 2]
    # A line a crash cut short is ignored, and the variant it was writing runs again.
    with open(killed / JOURNAL, "a", encoding="utf-8") as journal:
        journal.write(json.dumps({"index": 7, "status": "ok"})[:12])
    resumed = sweep(path, out=killed, resume=True)
    whole = sweep(path, out=tmp_path / "whole")
    pd.testing.assert_frame_equal(resumed, whole)
    assert ((killed / "results.csv").read_bytes()
            == (tmp_path / "whole" / "results.csv").read_bytes())
    assert sorted(row["index"] for row in read_journal(killed, spec)) == list(range(8))


#: A sweep in a fresh process that prints, each time the sweep makes its variants (its design,
#: which imports SciPy), whether the pools' fork server had been started, then again at the end.
SERVER_BY_THE_DESIGN = """
import sys
import sim
from sim import pool
from sim.sweeps.spec import SweepSpec

made = SweepSpec.variants

def variants(spec):
    print("server" if pool._server._forkserver_pid is not None else "none")
    return made(spec)

SweepSpec.variants = variants
sim.sweep(sys.argv[1], out=sys.argv[2], workers=int(sys.argv[3]))
print("server" if pool._server._forkserver_pid is not None else "none")
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_pool_starts_its_server_before_the_sweep_makes_its_variants(
        write_toml, tmp_path, workers) -> None:
    # Started by the pool's first task, the server imported the engine (~0.4 s) after the sweep
    # had read its file and made its design (SciPy: ~0.7 s), on a core that had been idle. One
    # worker makes no pool, and no server.
    path = lhs(write_toml, samples=4)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SERVER_BY_THE_DESIGN, str(path),
                           str(tmp_path / "out"), str(workers)], env=env, capture_output=True,
                          text=True, check=True)
    seen = done.stdout.split()
    assert len(seen) >= 2
    assert set(seen) == ({"server"} if workers > 1 else {"none"})


def test_dask_tables_equal_the_process_pools(write_toml, tmp_path, pool_sweep) -> None:
    path = lhs(write_toml)
    pool, processes = pool_sweep
    # An address: a scheduler someone else started, as on a cluster of machines. (Without one,
    # the sweep starts its own local cluster: the next test.)
    with local_cluster(2) as cluster:
        remote = sweep(path, out=tmp_path / "remote", executor="dask",
                       scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(remote, processes)
    assert ((tmp_path / "remote" / "results.csv").read_bytes()
            == (pool / "results.csv").read_bytes())


#: Dask's default dashboard port: a notebook's cluster, or another suite's, may hold it.
DASHBOARD_PORT = 8787


@pytest.fixture
def dashboard_port_taken():
    """Take port 8787 as another Dask cluster would, binding it on loopback and on every
    interface while free; one something else holds already is taken all the same."""
    held = []
    try:
        for host in ("127.0.0.1", "0.0.0.0"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((host, DASHBOARD_PORT))
                sock.listen()
                held.append(sock)
            except OSError:  # in use: by another process, or by our loopback socket
                sock.close()
        # Taken means a server can listen there no more, as a Tornado server binds.
        for host in ("127.0.0.1", "0.0.0.0"):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                with pytest.raises(OSError):
                    probe.bind((host, DASHBOARD_PORT))
                    probe.listen()
        yield
    finally:
        for sock in held:
            sock.close()


def test_a_local_dask_cluster_takes_no_fixed_port(write_toml, tmp_path, pool_sweep,
                                                  dashboard_port_taken) -> None:
    # No address: the sweep starts its own local cluster on loopback, on ports the system
    # picks; Dask's default 8787 being taken must neither warn nor fail.
    local = sweep(lhs(write_toml), out=tmp_path / "local", workers=2, executor="dask")
    pool, processes = pool_sweep
    pd.testing.assert_frame_equal(local, processes)
    assert (tmp_path / "local" / "results.csv").read_bytes() == (
        pool / "results.csv").read_bytes()


def test_a_scheduler_needs_the_dask_executor(write_toml, tmp_path) -> None:
    with pytest.raises(OptionError, match="only the dask executor"):
        sweep(lhs(write_toml), out=tmp_path / "out", scheduler="tcp://127.0.0.1:8786")


# --- the folder's record of the design -----------------------------------------------------------


def test_the_manifest_records_the_design_and_reads_back(write_toml, tmp_path) -> None:
    path = write_toml(LHS.format(samples=2, draws=300).replace(
        "range = [0.005, 0.025]", "distribution = { name = \"normal\", mean = 0.015, sd = 0.005 }"),
        "sweep.toml")
    spec = SweepSpec.from_file(path)
    sweep(spec, out=tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert manifest["digest"] == inputs_digest(sweep_inputs(spec))
    assert manifest["inputs"]["sweep"] == spec.digest
    assert {k: manifest[k] for k in ("format", "base", "design", "samples", "variants", "seed",
                                     "draws")} == {
        "format": 1, "base": "baseline", "design": "lhs", "samples": 2, "variants": 2, "seed": 9,
        "draws": 300}
    assert manifest["parameters"] == [
        {"key": "defaults.commitment.follow", "range": [0.1, 0.6]},
        {"key": "defaults.growth.mean",
         "distribution": {"name": "normal", "mean": 0.015, "sd": 0.005}}]
    # The report needs only the folder: the sweep file may have moved.
    path.unlink()
    record = SweepRecord.from_folder(tmp_path / "out")
    assert record.parameters == spec.parameters
    assert (record.design, record.samples, record.draws, record.base) == ("lhs", 2, 300,
                                                                          "baseline")


@pytest.mark.parametrize(("manifest", "key", "problem"), [
    ({"sweep": "old.toml", "digest": "abc"}, "format", "predates recorded designs"),
    ({"format": 1, "design": "lsh"}, "design", "must be one of grid, lhs, sobol"),
    ({"format": 1, "design": "sobol", "base": "baseline", "samples": 8, "seed": 0, "draws": 10,
      "variants": 8, "parameters": [{"key": "goal.year", "range": [1, 2]}]}, "variants",
     "does not match a sobol design"),
    ({"format": 1, "design": "lhs", "base": "baseline", "samples": 8, "seed": 0, "draws": 10,
      "variants": 8, "parameters": [{"key": "goal.year", "range": [2, 1]}]},
     "parameters.0.range", "low must be below high"),
])
def test_an_old_or_malformed_manifest_is_a_results_error(tmp_path, manifest, key,
                                                         problem) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ResultsError) as err:
        SweepRecord.from_folder(tmp_path)
    assert (err.value.file, err.value.key) == (str(tmp_path / MANIFEST), key)
    assert problem in err.value.problem


def test_a_folder_without_a_manifest_is_a_results_error(tmp_path) -> None:
    with pytest.raises(ResultsError, match=r"manifest\.json: missing: not a sweep folder"):
        SweepRecord.from_folder(tmp_path)


def test_an_aid_scenario_adds_the_chance_ukraines_needs_are_met(write_toml, tmp_path) -> None:
    path = write_toml("""
[sweep]
base = "udcg-2026"
design = "grid"
draws = 300
[[sweep.parameters]]
key = "aid.donors.UDCG.reliability"
values = [0.5, 0.95]
[[sweep.parameters]]
key = "aid.needs.2026"
values = [30e9]           # the 60e9 need is never delivered in 2026 under these pledges
""", "aid.toml")
    table = sweep(path, out=tmp_path / "out")
    assert {"ukraine_needs_met_2026", "ukraine_needs_met_2026_lo",
            "ukraine_needs_met_2026_hi"} <= set(table.columns)
    # More of the Contact Group's pledges honoured, more often the 2026 need is delivered.
    low, high = table["ukraine_needs_met_2026"]
    assert low < high


def test_a_parameter_the_model_never_reads_is_refused(write_toml):
    # With the commitment on (the baseline), core spending follows plans and the commitment,
    # never policy.adjustment: sweeping it would give a flat table that reads as a finding.
    path = write_toml(LHS.format(samples=6, draws=300).replace(
        "defaults.commitment.follow", "defaults.policy.adjustment"), "sweep.toml")
    with pytest.raises(SweepError) as err:
        SweepSpec.from_file(path)
    assert err.value.key == "sweep.parameters.0.key"
    assert "cannot take effect" in err.value.problem
