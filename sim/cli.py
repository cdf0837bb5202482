"""The ``summit`` command: a thin click shell over the library.

Each command imports what it uses when it runs, so that ``summit --version``, ``summit
validate`` and ``summit allies`` start in a fraction of a second: only the commands that simulate
load Numba, and only those that write tables, fit or draw load pandas, SciPy or Matplotlib.

Bad input of any kind (a scenario file, a data file, an option) ends in one line on stderr and
exit status 2, never a traceback; ``summit --debug ...`` shows the traceback for bug reports.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from sim import __version__
from sim.errors import OptionError, ScenarioWarning, SimError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="summit-sim")
@click.option("--debug", is_flag=True, help="Show tracebacks (for bug reports).")
def cli(debug: bool) -> None:
    """Monte Carlo scenarios for NATO's 5% goal (3.5% core + 1.5% related by 2035)."""


def _draws_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The ``--draws`` option of a run, with the command's own help."""
    return click.option("--draws", type=click.IntRange(min=1), default=20_000,
                        show_default=True, help=help_text)


#: The seed of a run, shared by the commands that reproduce one.
_seed_option = click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                            help="Seed of the run's SeedSequence.")

#: Warnings as errors, for the commands that load a scenario.
_strict_option = click.option("--strict", is_flag=True,
                              help="Treat warnings (values outside their typical range) as "
                                   "errors: exit 2.")


def _warn(warnings: Sequence[ScenarioWarning]) -> None:
    """Print each warning as one line on stderr."""
    for warning in warnings:
        click.echo(str(warning), err=True)


@cli.command()
@click.argument("scenario", required=False, default="baseline")
@_draws_option("Monte Carlo draws.")
@_seed_option
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes: this one and a pool of the rest; results do not depend on "
                   "it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for summary.json, allies.csv, bands.csv, probabilities.csv, "
                   "outcomes.npz (and aid.csv); an earlier "
                   "run's files and report there are replaced, other files kept.")
@click.option("--engine", type=click.Choice(["vector", "event"]), default="vector",
              show_default=True, help="Aid engine; both give the same results.")
@_strict_option
def run(scenario: str, draws: int, seed: int, workers: int, out_dir: str | None,
        engine: str, strict: bool) -> None:
    """Run SCENARIO (a path or a shipped name; default: baseline) and print the table."""
    from sim.files import check_run_folder, hold_folder
    from sim.montecarlo import check_size
    from sim.montecarlo import run as run_scenario
    from sim.reports.run_files import write_outputs
    from sim.reports.tables import format_table
    from sim.scenario import load_scenario

    check_size(draws, workers)  # before the scenario is read, as every check of the options
    if out_dir is not None:
        from sim.files import check_writable

        check_run_folder(Path(out_dir))  # before the run, not after it
        check_writable(Path(out_dir))
    loaded = load_scenario(scenario)
    _warn(loaded.warnings)
    if strict and loaded.warnings:
        sys.exit(2)
    # The folder's lock is held for the whole run, so a second command writing it is refused
    # at its start, not after its simulation.
    with hold_folder(out_dir) if out_dir is not None else contextlib.nullcontext():
        # A run folder keeps each draw's headline outcomes, so that `summit compare` can pair
        # two runs' draws.
        results = run_scenario(loaded, draws=draws, seed=seed, workers=workers, progress=True,
                               engine=engine, per_draw=out_dir is not None)
        if out_dir is not None:
            for path in write_outputs(results, out_dir):
                click.echo(f"wrote {path}", err=True)
    click.echo(format_table(results))


@cli.command()
@click.argument("sweep_file", metavar="SWEEP")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for results.csv, results.parquet, the journal and sweep.log.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes, one variant each at a time: this one and a pool of the rest "
                   "(with --executor dask, the local cluster's); results do not depend on it.")
@click.option("--resume", is_flag=True,
              help="Run only the variants a previous, interrupted run in --out lacks.")
@click.option("--executor", type=click.Choice(["processes", "dask"]), default="processes",
              show_default=True, help="Process pool here, or Dask (any number of machines).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler, tcp://host:port (default: a local cluster of --workers).")
def sweep(sweep_file: str, out_dir: str, workers: int, resume: bool, executor: str,
          scheduler: str | None) -> None:
    """Run the sweep file SWEEP: one Monte Carlo run per variant, one table row each."""
    from sim.files import check_writable
    from sim.sweeps.sweep import sweep as run_sweep

    check_writable(Path(out_dir))  # before the manifest and the first variant
    table = run_sweep(sweep_file, out=out_dir, workers=workers, resume=resume, progress=True,
                      executor=executor, scheduler=scheduler)
    failed = int((table["status"] == "failed").sum())
    click.echo(f"{len(table)} variants ({failed} failed) in {Path(out_dir) / 'results.csv'} "
               "and results.parquet", err=True)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.html, report.md and the PNGs (default: FOLDER).")
@click.option("--metric", default=None,
              help="Sweeps: the probability to explain [default: alliance_meets_goal].")
@click.option("--threshold", type=float, default=None,
              help="Sweeps: PRIM looks for where the metric falls below this [default: 0.5].")
@click.option("--interactive", is_flag=True,
              help="Also write report-interactive.html: charts to hover and steer, "
                   "self-contained (needs the interactive extra).")
def report(folder: Path, out_dir: Path | None, metric: str | None,
           threshold: float | None, interactive: bool) -> None:
    """Build the briefing for FOLDER, a run folder (`summit run --out`) or a sweep folder."""
    from sim.files import check_report_out, check_writable, folder_kind, hold_folder

    if interactive:  # before any file is written
        from sim.reports.interactive import require_interactive

        require_interactive()
    kind = folder_kind(folder)
    if out_dir is not None:
        check_report_out(folder, out_dir)
    check_writable(folder if out_dir is None else out_dir)  # before drawing the charts
    if kind == "run" and (metric is not None or threshold is not None):
        raise OptionError("--metric and --threshold: only for sweep folders; "
                          f"{folder} is a run folder")
    # Not while a run replaces the folder or a sweep resumes into it: the report would read
    # one and land in the other's folder, or read a table as it is rewritten.
    with hold_folder(out_dir or folder, "report"):
        if kind == "run":
            from sim.reports.briefing import write_run_report

            written = write_run_report(folder, out_dir)
        else:
            from sim.reports.sweep_briefing import METRIC, THRESHOLD, write_sweep_report

            written = write_sweep_report(
                folder, out_dir, metric=METRIC if metric is None else metric,
                threshold=THRESHOLD if threshold is None else threshold)
        if interactive:
            from sim.reports.interactive import write_interactive

            written.append(write_interactive(folder, out_dir))
    for path in written:
        click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("run_a", metavar="A", type=click.Path(path_type=Path))
@click.argument("run_b", metavar="B", type=click.Path(path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the comparison as a CSV file.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for compare.png (the differences with their intervals) and "
                   "compare.csv.")
def compare(run_a: Path, run_b: Path, csv_out: Path | None, out_dir: Path | None) -> None:
    """Compare run folders A and B (from `summit run --out`): B - A, beyond the noise or not.

    Runs of the same seed and draws whose folders hold outcomes.npz are paired draw by draw.
    """
    from sim.files import atomic_write_text, check_writable, csv_text
    from sim.reports.compare import compare_runs, format_comparison, write_comparison

    if csv_out is not None:
        if csv_out.is_dir():
            raise OptionError(f"--csv: {csv_out} is a folder; give a file name")
        check_writable(csv_out, "--csv", file=True)
    if out_dir is not None:
        check_writable(out_dir)
    comparison = compare_runs(run_a, run_b)
    click.echo(format_comparison(comparison))
    if csv_out is not None:
        atomic_write_text(csv_out, csv_text(comparison.csv_table()))
        click.echo(f"wrote {csv_out}", err=True)
    if out_dir is not None:
        for path in write_comparison(comparison, out_dir):
            click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("scenario")
@click.option("--draw", type=click.IntRange(min=0), default=0, show_default=True,
              help="Which draw of the run to trace (0-based).")
@_draws_option("Draws of the run the draw belongs to (fixes its block).")
@_seed_option
@click.option("--donor", default=None, help="Show only this donor's events (e.g. DEU).")
def trace(scenario: str, draw: int, draws: int, seed: int, donor: str | None) -> None:
    """Print the aid event log of one draw of SCENARIO, as `summit run` would simulate it."""
    from sim import schema
    from sim.aid import event as aid_event
    from sim.aid.sampling import sample_aid
    from sim.montecarlo import (
        DEFAULT_BLOCK_SIZE,
        aid_generator,
        block_paths,
        block_sizes,
        check_size,
    )
    from sim.scenario import load_scenario
    from sim.spending.inputs import ModelInputs

    check_size(draws, 1)  # the blocks' sizes are listed below
    loaded = load_scenario(scenario)
    model = loaded.aid
    if model is None:
        raise OptionError(f"{scenario}: has no [aid] table to trace")
    if draw >= draws:
        raise OptionError(f"--draw: must be below --draws ({draws}), got {draw}")
    if donor is not None and donor not in model.donor_names:
        raise OptionError(f"--donor: {donor!r} has no pledge or budget line in {scenario}"
                          + schema.did_you_mean(donor, model.donor_names))
    block, k = divmod(draw, DEFAULT_BLOCK_SIZE)
    size = block_sizes(draws, DEFAULT_BLOCK_SIZE)[block]
    # Budget lines that follow GDP read the block's spending paths, as the run does.
    inputs = ModelInputs.from_scenario(loaded) if model.linked else None
    paths = None if inputs is None else block_paths(inputs, seed, block, size)
    sampled = sample_aid(model, aid_generator(seed, block), size, inputs, paths).draw(k)
    lines: list[str] = []
    outcome = aid_event.simulate(model, sampled, trace=lines)
    click.echo(f"aid trace | scenario {loaded.name} | draw {draw} of {draws} | seed {seed}")
    click.echo("\n".join(aid_event.readable(model, lines, donor)))
    delivered = outcome.delivered_by_year(model)[0]
    for y, year in enumerate(model.years):
        need = sampled.needs_usd[0, y]
        click.echo(f"{year}: delivered ${delivered[y] / 1e9:,.2f}bn of ${need / 1e9:,.2f}bn "
                   f"needed: {'met' if delivered[y] >= need else 'not met'}")


@cli.command()
@click.argument("files", nargs=-1, required=True)
@_strict_option
def validate(files: tuple[str, ...], strict: bool) -> None:
    """Check scenario and sweep FILES; exit 2 if any is invalid, naming the file and key.

    Warnings go to stderr; with --strict they are errors. For a scenario that extends another,
    a second line says what it changed.
    """
    from sim.scenario import find_scenario, is_sweep_file, load_scenario

    failed = False
    for file in files:
        try:
            path = find_scenario(file)
            if is_sweep_file(path):
                from sim.sweeps.spec import SweepSpec  # only sweeps need its imports

                spec = SweepSpec.from_file(path)
                warnings = spec.warnings
                lines = [f"{file}: ok (sweep, {spec.size} variants of {spec.base.name})"]
            else:
                scenario = load_scenario(path)
                warnings = scenario.warnings
                lines = [f"{file}: ok ({scenario.name}, {len(scenario.allies)} assessed allies, "
                         f"{scenario.base_year}-{scenario.horizon})"]
                if scenario.inheritance is not None:
                    lines.append(f"  {scenario.inheritance.describe()}")
        except SimError as err:
            click.echo(str(err), err=True)
            failed = True
            continue
        _warn(warnings)
        if strict and warnings:
            failed = True
            continue
        for line in lines:
            click.echo(line)
    if failed:
        sys.exit(2)


@cli.command()
@click.option("--year", type=click.IntRange(2014, 2026), default=2026, show_default=True,
              help="Base year of the figures.")
@click.option("--sources", is_flag=True,
              help="Also show the calibrated values and announced plans, with their sources.")
def allies(year: int, sources: bool) -> None:
    """List the 32 allies with their base-year figures and sources."""
    from sim.data.base import load_base
    from sim.reports.tables import format_allies

    click.echo(format_allies(load_base(year)))
    if sources:
        from sim.calibration.provenance import format_sources

        click.echo("")
        click.echo(format_sources())


# --- calibration: thin shells over sim.data.history and sim.calibration ---------------------


@cli.command()
@click.argument("iso3")
def data(iso3: str) -> None:
    """Show every sourced figure for ally ISO3, by edition, with sources and vintages."""
    from sim.calibration.provenance import format_ally_data

    click.echo(format_ally_data(iso3))


@cli.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of data files (default: calibration/data).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Parameter file to write (default: calibration/parameters.toml).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if the file differs from a fresh fit, and say how.")
def calibrate(data_dir: Path | None, out: Path | None, check: bool) -> None:
    """Fit the spending and growth parameters to history and write the parameter file."""
    from sim.calibration.fit import check_parameters, run_calibration
    from sim.data.parameters import PARAMETERS_FILE
    from sim.files import atomic_write_text
    from sim.resources import calibration_dir

    result, text = run_calibration(data_dir)
    out = out or calibration_dir() / PARAMETERS_FILE
    s, c, g = result.spending, result.commitment, result.growth
    click.echo(f"adjustment {s.adjustment.value:.3f} (se {s.adjustment.se:.3f}), threat events "
               f"{c.rate.value:.3f}/yr (se {c.rate.se:.3f}) of {c.size.value:.2f} pp "
               f"(se {c.size.se:.2f}), frontline x{1 + c.exposure.value:.2f} "
               f"(exposure se {c.exposure.se:.2f}); growth persistence {g.persistence.value:.3f} "
               f"(se {g.persistence.se:.3f}), common {g.common.value:.3f} "
               f"(se {g.common.se:.3f})", err=True)
    if check:
        reproduced, lines = check_parameters(out, text)
        for line in lines:
            click.echo(line, err=True)
        if not reproduced:
            sys.exit(1)
        return
    atomic_write_text(out, text)
    click.echo(f"wrote {out}", err=True)


@cli.command()
@click.option("--fit-until", "fit_until", type=int, multiple=True,
              default=tuple(range(2017, 2024)), show_default=True,
              help="Last year of data the fit sees (repeatable; default every cut-off "
                   "2017-2023).")
@click.option("--draws", type=click.IntRange(min=100), default=4000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the track-record page (report.html, report.md, PNG charts).")
def backtest(fit_until: tuple[int, ...], draws: int, seed: int, output: str,
             out_dir: str | None) -> None:
    """Fit on data up to YEAR only, project to 2026, and score the forecasts against what
    happened and against naive baselines."""
    from sim.calibration.backtest import backtest as run_backtest
    from sim.calibration.backtest import format_backtests
    from sim.data.history import load_history

    if out_dir is not None:
        from sim.reports.track_record import check_track_record_out

        check_track_record_out(out_dir)  # before the fits, which take a while
    history = load_history()
    results = [run_backtest(history, year, draws=draws, seed=seed) for year in fit_until]
    if output == "json":
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        click.echo(format_backtests(results))
    if out_dir is not None:
        from sim.reports.track_record import write_track_record

        written = write_track_record(results, out_dir)
        click.echo(f"wrote {written[0]}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning user errors into one line and exit status 2."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="summit", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        click.echo("summit: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        if debug:
            raise
        click.echo(f"summit: {err.format_message()}", err=True)
        sys.exit(2)
    except SimError as err:
        if debug:
            raise
        click.echo(str(err), err=True)
        sys.exit(2)
