"""Results for analysts: a run folder read back into Python, and every folder under a root queried.

:func:`read_run` loads what ``summit run --out`` wrote (``summary.json`` and ``bands.csv``) as a
:class:`StoredRun`, which answers :meth:`~StoredRun.frame` and :meth:`~StoredRun.to_xarray` as
:class:`~sim.results.Results` does: the same tidy frame, value for value, whether the run is in
memory or on disk. :func:`catalog` reads every run and sweep folder under a root into an
in-memory DuckDB database (the ``analysis`` extra), so that a question across many runs is one
SQL query::

    db = sim.catalog("out")
    db.sql("select folder, value from results "
           "where entity = 'DEU' and measure = 'p_meet_goal'").df()

Every malformed file is a :class:`~sim.errors.ResultsError` naming the folder, the file and the
key, as ``summit report`` and ``summit compare`` say it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sim import fields
from sim.errors import OptionError, ResultsError
from sim.files import (
    BANDS_NAME,
    MANIFEST,
    OUTCOMES_NAME,
    SUMMARY_NAME,
    folder_kind,
    lookup,
    read_json,
    read_table,
)
from sim.results import (
    BAND_QUANTILES,
    ProbabilityRecord,
    frame_dataset,
    quantile_label,
    tidy_frame,
)

if TYPE_CHECKING:
    import pandas as pd

    from sim.draw_outcomes import DrawOutcomes

#: The tables :func:`catalog` makes, and what one row of each is.
CATALOG_TABLES = {
    "runs": "one run folder: its scenario, seed, draws, years and the version that wrote it",
    "results": "the tidy frame of every run (Results.frame), with its folder",
    "sweeps": "one sweep folder: its sweep file, digest and design",
    "variants": "every sweep's results table, one row per variant, with its folder",
}
_BAND_COLUMNS = ("entity", "measure", "year", *(quantile_label(q) for q in BAND_QUANTILES))
_RUN_KEYS = ("scenario", "seed", "draws", "base_year", "horizon", "version")
_SWEEP_KEYS = ("sweep", "digest", "design")


@attrs.frozen(eq=False)
class StoredRun:
    """A run as ``summit run --out`` wrote it: its summary and its share bands."""

    folder: Path
    summary: dict[str, Any] = attrs.field(repr=False)
    bands_table: pd.DataFrame = attrs.field(repr=False)

    def bands(self) -> pd.DataFrame:
        """``bands.csv``: the band quantiles per entity, measure and year."""
        return self.bands_table.copy()

    @property
    def draw_outcomes(self) -> DrawOutcomes | None:
        """Each draw's headline outcomes, as :attr:`sim.results.Results.draw_outcomes`: read
        from ``outcomes.npz`` at each access (it may be tens of MB), None when the run kept
        none. A malformed file is a :class:`~sim.errors.ResultsError` naming it."""
        from sim.draw_outcomes import DrawOutcomes

        path = self.folder / OUTCOMES_NAME
        return DrawOutcomes.from_file(path) if path.exists() else None

    def probability_records(self) -> list[ProbabilityRecord]:
        """Every probability in ``summary.json`` with its interval."""
        path = self.folder / SUMMARY_NAME
        goal = _year(lookup(self.summary, "goal.year", path), "goal.year", path)
        review = _year(lookup(self.summary, "goal.review_year", path), "goal.review_year", path)
        records: list[ProbabilityRecord] = []
        probabilities = lookup(self.summary, "probabilities", path)
        if not isinstance(probabilities, dict):
            raise ResultsError(path, "probabilities", "must be an object")
        for name, value in probabilities.items():
            key = f"probabilities.{name}"
            if name == "ukraine_needs_met":  # one probability a needs year
                if not isinstance(value, dict):
                    raise ResultsError(path, key, "must be an object of years")
                for label, p in value.items():
                    records.append(("alliance", name, _year(label, f"{key}.{label}", path),
                                    *fields.checked_probability(p, f"{key}.{label}", path)))
                continue
            when: int | None = review if name == "alliance_credible_path" else goal
            if name == "ukraine_needs_met_every_year":
                when = None
            records.append(("alliance", name, when,
                            *fields.checked_probability(value, key, path)))
        allies = lookup(self.summary, "allies", path)
        if not isinstance(allies, dict):
            raise ResultsError(path, "allies", "must be an object of allies")
        for code, ally in allies.items():
            if not isinstance(ally, dict):
                raise ResultsError(path, f"allies.{code}", "must be an object")
            if not ally.get("assessed", True):
                continue
            for measure, name, year in (("p_meet_core", "p_meet_core", goal),
                                        ("p_meet_goal", "p_meet_goal", goal),
                                        ("p_credible_path", f"p_credible_path_{review}", review)):
                key = f"allies.{code}.{name}"
                records.append((code, measure, year, *fields.probability(self.summary, key, path)))
        return records

    def frame(self) -> pd.DataFrame:
        """The run's tidy frame (:meth:`sim.results.Results.frame`)."""
        return tidy_frame(self.bands(), self.probability_records())

    def to_xarray(self) -> Any:
        """The run's Dataset over entity x year x quantile (:func:`sim.results.frame_dataset`)."""
        return frame_dataset(self.frame())


def read_run(folder: str | Path) -> StoredRun:
    """The run folder ``folder`` (written by ``summit run --out``) read back.

    A folder that is not a run folder, or a file in it that is missing or malformed, is a
    :class:`~sim.errors.ResultsError` naming the folder and the file.
    """
    path = Path(folder)
    if folder_kind(path) != "run":
        raise ResultsError(path, None, "is a sweep folder, not a run folder: read its "
                           "results.parquet, or every folder under a root with sim.catalog")
    summary = read_json(path / SUMMARY_NAME)
    bands = read_table(path / BANDS_NAME, _BAND_COLUMNS)
    for column in _BAND_COLUMNS[3:]:
        if bands[column].dtype.kind not in "fi":
            raise ResultsError(path / BANDS_NAME, column, "must hold numbers")
    if bands["year"].dtype.kind != "i":
        raise ResultsError(path / BANDS_NAME, "year", "must hold whole years")
    return StoredRun(folder=path, summary=summary, bands_table=bands)


def catalog(root: str | Path) -> Any:
    """Every run and sweep folder under ``root``, as tables of an in-memory DuckDB database
    (:data:`CATALOG_TABLES`); needs the ``analysis`` extra (duckdb).

    ``root`` itself may be a run or a sweep folder. A root that is not a folder, or holds
    neither kind of folder, is a :class:`~sim.errors.ResultsError`; so is any malformed folder
    under it.
    """
    import pandas as pd

    try:
        import duckdb
    except ImportError:
        raise OptionError("catalog needs duckdb: install summit-sim[analysis]") from None
    base = Path(root)
    if not base.is_dir():
        raise ResultsError(base, None, "is not a folder" if base.exists() else "no such folder")
    runs, results, sweeps, variants = [], [], [], []
    for folder in _folders(base):
        if folder_kind(folder) == "run":
            run = read_run(folder)
            runs.append({"folder": str(folder), **{
                key: lookup(run.summary, key, folder / SUMMARY_NAME)
                for key in _RUN_KEYS}})
            results.append(run.frame().assign(folder=str(folder)))
        else:
            manifest = read_json(folder / MANIFEST)
            sweeps.append({"folder": str(folder), **{
                key: str(manifest.get(key, "")) for key in _SWEEP_KEYS}})
            table = folder / "results.parquet"
            if table.is_file():
                try:
                    variants.append(pd.read_parquet(table).assign(folder=str(folder)))
                except (OSError, ValueError) as err:
                    raise ResultsError(table, None, f"cannot be read: {err}") from None
    if not runs and not sweeps:
        raise ResultsError(base, None, f"holds no run folder ({SUMMARY_NAME}) and no sweep "
                           f"folder ({MANIFEST}) at any depth")
    database = duckdb.connect()
    tables = (("runs", pd.DataFrame(runs, columns=["folder", *_RUN_KEYS])),
              ("sweeps", pd.DataFrame(sweeps, columns=["folder", *_SWEEP_KEYS])),
              ("results", _concat(results)), ("variants", _concat(variants)))
    for name, rows in tables:
        database.register(f"{name}_frame", rows)
        database.execute(f"create table {name} as select * from {name}_frame")
        database.unregister(f"{name}_frame")
    return database


def _folders(base: Path) -> Iterator[Path]:
    """``base`` and every folder below it that is a run or a sweep folder, in path order; a
    sweep's own folders are not searched (it writes none of its runs as folders)."""
    if (base / SUMMARY_NAME).is_file() or (base / MANIFEST).is_file():
        yield base
        return
    for child in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
        yield from _folders(child)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame({"folder": pd.Series(dtype=str)}))


def _year(value: object, key: str, path: Path) -> int:
    """``value`` as a year: a whole number, or a string of one (JSON keys are strings)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ResultsError(path, key, f"must be a year, got {value!r}")
