"""Per-draw outcomes of a run's headline measures, one bit a draw: what pairs two runs' draws.

A run's tally keeps counts only, enough for each probability and its interval but not for the
difference of two runs that share their random numbers (the same seed, draws and block size):
their estimates move together, and only the draw-by-draw pairs say by how much. A
:class:`DrawRecorder` keeps, block by block, whether each draw met each headline measure: the
alliance meets the core goal and the goal, is on a credible path, every ally meets them, the same
two without threat events; for a scenario with aid, Ukraine's needs met in each needs year and in
every year, and with the alliance's goals; and each assessed ally meets its core goal and the
goal, and is on a credible path in the review year. :class:`DrawOutcomes` is the run's bits,
merged in block order (so identical whatever the worker count), and ``outcomes.npz`` in a run
folder (:meth:`DrawOutcomes.to_bytes`).

Memory: one bit a draw a measure, ``ceil(draws / 8)`` bytes each: 2.5 kB at 20,000 draws, 12.5 MB
at 100,000,000 (the cap of a run, :data:`sim.limits.MAX_DRAWS`). The allies' measures, three an
ally, are kept only up to :data:`ALLY_DRAWS_LIMIT` draws (93 measures of 125 kB for 31 allies);
beyond it a run keeps the alliance's and aid's measures alone (about a dozen: 150 MB at the cap),
and a comparison pairs those and compares the allies' as independent.

The flags are computed from the block's paths apart from the tally, with the tally's own
arithmetic, so the counts are untouched; each measure's bits are checked against the tally's
count when the run ends (:meth:`DrawRecorder.outcomes`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from sim.errors import ResultsError
from sim.limits import read_bytes
from sim.spending.engine import Paths
from sim.spending.inputs import ModelInputs
from sim.spending.tally import Tally

if TYPE_CHECKING:
    from sim.aid.outcome import AidOutcome
    from sim.aid.sampling import AidDraws
    from sim.aid.tally import AidTally
    from sim.scenario.aid import AidModel

#: Above this many draws a run keeps no ally's per-draw outcomes (see the module's docstring).
ALLY_DRAWS_LIMIT = 1_000_000
#: The largest ``outcomes.npz`` read: the alliance's and aid's measures at the cap, with room.
MAX_OUTCOMES_BYTES = 1 << 30
#: The alliance-wide measures of ``summary.json``'s ``probabilities`` kept a draw at a time.
ALLIANCE_MEASURES = ("all_allies_meet_goal", "all_allies_meet_core", "alliance_meets_goal",
                     "alliance_meets_core", "alliance_credible_path",
                     "alliance_meets_core_without_threat_events",
                     "alliance_meets_goal_without_threat_events")
#: The joint measures of a scenario with aid, after each needs year's ``ukraine_needs_met_YYYY``.
AID_MEASURES = ("ukraine_needs_met_every_year", "alliance_meets_goal_and_ukraine_needs_met",
                "alliance_meets_core_and_ukraine_needs_met")
#: Each assessed ally's measures, as ``summary.json``'s ``allies`` names them (the credible path
#: without its review year).
ALLY_MEASURES = ("p_meet_core", "p_meet_goal", "p_credible_path")
#: The arrays of ``outcomes.npz``: no object arrays, so it loads with ``allow_pickle=False``.
_ARRAYS = ("outcomes", "measure", "entity", "seed", "draws", "block_size")

Key = tuple[str, str]  # (measure, entity): entity "alliance", "aid" or an ally's ISO3 code


def measure_keys(inputs: ModelInputs, aid: AidModel | None, draws: int) -> tuple[Key, ...]:
    """The measures a run of ``draws`` draws keeps, in the order of :class:`DrawOutcomes` rows."""
    keys = [(name, "alliance") for name in ALLIANCE_MEASURES]
    if aid is not None:
        keys += [(f"ukraine_needs_met_{year}", "aid") for year in aid.years]
        keys += [(name, "alliance") for name in AID_MEASURES]
    if draws <= ALLY_DRAWS_LIMIT:
        keys += [(name, code) for code in inputs.codes for name in ALLY_MEASURES]
    return tuple(keys)


@attrs.define(eq=False)
class DrawRecorder:
    """Collects one run's per-draw outcomes block by block (in any order, on any process)."""

    keys: tuple[Key, ...]
    codes: tuple[str, ...]  # the assessed allies, in the tally's order
    with_allies: bool  # whether the allies' measures are kept (ALLY_DRAWS_LIMIT)
    aid_years: tuple[int, ...]  # the needs years of a scenario with aid, else none
    #: block index: (draws, packed bits (measures, ceil(draws / 8)) uint8)
    blocks: dict[int, tuple[int, np.ndarray]] = attrs.field(factory=dict)

    @classmethod
    def for_run(cls, inputs: ModelInputs, aid: AidModel | None, draws: int) -> DrawRecorder:
        """A recorder of the measures a run of ``draws`` draws keeps (:func:`measure_keys`)."""
        return cls(measure_keys(inputs, aid, draws), inputs.codes, draws <= ALLY_DRAWS_LIMIT,
                   () if aid is None else tuple(aid.years))

    def add(self, block: int, inputs: ModelInputs, paths: Paths,
            alliance: tuple[np.ndarray, np.ndarray],
            aid: tuple[AidModel, AidDraws, AidOutcome] | None = None) -> None:
        """Keep block ``block``'s outcomes from its paths (after the tally counted them, and aid
        on top added), the tally's (draws,) alliance flags and, for aid, its draws and outcome."""
        meets_core, meets_goal = alliance
        goal = inputs.goal_index
        core, related = paths.core_share[goal], paths.related_share[goal]  # (draws, allies)
        ally_core = core >= inputs.goal_core  # (draws, allies), as the tally's kernel compares
        ally_goal = ally_core & (core + related >= inputs.goal_total)
        without = _without_threat_events(inputs, paths)
        rows = [ally_goal.all(axis=1), ally_core.all(axis=1), meets_goal, meets_core,
                _alliance_credible(inputs, paths),
                meets_core if without is None else without[0],
                meets_goal if without is None else without[1]]
        if aid is not None:
            model, aid_draws, outcome = aid
            met = outcome.delivered_by_year(model) >= aid_draws.needs_usd  # (draws, years)
            every_year = met.all(axis=1)  # (draws,)
            rows += [*met.T, every_year, meets_goal & every_year, meets_core & every_year]
        if self.with_allies:
            # (draws, allies), as the tally's kernel compares each ally with its line.
            credible = paths.core_share[inputs.review_index] >= \
                inputs.review_line - inputs.review_tolerance
            rows += [flags[:, a] for a in range(core.shape[1])
                     for flags in (ally_core, ally_goal, credible)]
        self.blocks[block] = core.shape[0], np.packbits(np.stack(rows), axis=1)

    def merge(self, other: DrawRecorder) -> None:
        """Take another process's blocks (each block is counted by one process only)."""
        self.blocks.update(other.blocks)

    def outcomes(self, seed: int, block_size: int, tally: Tally,
                 aid_tally: AidTally | None = None) -> DrawOutcomes:
        """The run's outcomes, blocks in order; each measure's draws met are checked against
        the tally's count (a disagreement is a bug, never written)."""
        order = sorted(self.blocks)
        sizes = [self.blocks[b][0] for b in order]
        if all(size % 8 == 0 for size in sizes[:-1]):
            # Whole bytes a block: the packed blocks follow one another as they are.
            bits = np.concatenate([self.blocks[b][1] for b in order], axis=1)
        else:
            # A measure at a time, so that unpacked the bits take a byte a draw of one measure.
            bits = np.stack([np.packbits(np.concatenate([
                np.unpackbits(self.blocks[b][1][m], count=size)
                for b, size in zip(order, sizes, strict=True)])) for m in range(len(self.keys))])
        outcomes = DrawOutcomes(keys=self.keys, bits=bits, seed=seed, draws=sum(sizes),
                                block_size=block_size)
        expected = _tally_counts(tally, aid_tally, self.codes, self.aid_years)
        for key, count in zip(self.keys, outcomes.counts(), strict=True):
            if expected[key] != count:
                raise RuntimeError(f"per-draw outcomes of {key} count {count} draws, the tally "
                                   f"{expected[key]}: a bug, please report it")
        return outcomes


def _alliance_credible(inputs: ModelInputs, paths: Paths) -> np.ndarray:
    """(draws,) the alliance on a credible path in the review year, as the tally decides it."""
    review, goal = inputs.review_index, inputs.goal_index
    shares = []
    for t in (0, review):
        gdp = paths.gdp_usd[t]  # (draws, allies)
        shares.append(np.einsum("da,da->d", paths.core_share[t], gdp) / np.add.reduce(gdp, axis=1))
    base = shares[0][0]
    line = base + (inputs.goal_core - base) * (review / goal)
    return shares[1] >= line - inputs.review_tolerance


def _without_threat_events(inputs: ModelInputs, paths: Paths
                           ) -> tuple[np.ndarray, np.ndarray] | None:
    """(draws,) the alliance meets the core goal and the goal with threat events switched off,
    as the tally decides it; None when the run has no events to switch off."""
    if paths.core_share_without_threat_events is None:
        return None
    goal = inputs.goal_index
    core, related, gdp = (p[goal] for p in (paths.core_share_without_threat_events,
                                            paths.related_share, paths.gdp_usd))
    gdp_sum = np.add.reduce(gdp, axis=1)  # (draws,)
    meets_core = np.einsum("da,da->d", core, gdp) / gdp_sum >= inputs.goal_core
    total = np.einsum("da,da->d", core + related, gdp) / gdp_sum
    return meets_core, meets_core & (total >= inputs.goal_total)


def _tally_counts(tally: Tally, aid_tally: AidTally | None, codes: tuple[str, ...],
                  aid_years: tuple[int, ...]) -> dict[Key, int]:
    """The tallies' count of every measure a recorder may keep; ``codes`` the tally's allies,
    ``aid_years`` the needs years."""
    counts = {(name, "alliance"): int(getattr(tally, field)) for name, field in (
        ("all_allies_meet_goal", "all_meet_goal"), ("all_allies_meet_core", "all_meet_core"),
        ("alliance_meets_goal", "alliance_meets_goal"),
        ("alliance_meets_core", "alliance_meets_core"),
        ("alliance_credible_path", "alliance_credible"),
        ("alliance_meets_core_without_threat_events",
         "alliance_meets_core_without_threat_events"),
        ("alliance_meets_goal_without_threat_events",
         "alliance_meets_goal_without_threat_events"))}
    if aid_tally is not None:
        counts.update({("ukraine_needs_met_every_year", "alliance"): int(aid_tally.all_needs_met),
                       ("alliance_meets_goal_and_ukraine_needs_met", "alliance"):
                           int(aid_tally.goal_and_needs_met),
                       ("alliance_meets_core_and_ukraine_needs_met", "alliance"):
                           int(aid_tally.core_and_needs_met)})
        counts.update({(f"ukraine_needs_met_{year}", "aid"): int(n)
                       for year, n in zip(aid_years, aid_tally.needs_met, strict=True)})
    for a, code in enumerate(codes):
        counts["p_meet_core", code] = int(tally.meet_core[a])
        counts["p_meet_goal", code] = int(tally.meet_goal[a])
        counts["p_credible_path", code] = int(tally.credible[a])
    return counts


@attrs.frozen(eq=False)
class DrawOutcomes:
    """A run's per-draw outcomes: ``bits`` (measures, ceil(draws / 8)) uint8, row ``i`` the
    draws of measure ``keys[i]`` packed by :func:`numpy.packbits` (first draw in the high bit),
    with the run's seed, draws and block size, which decide its random numbers."""

    keys: tuple[Key, ...]
    bits: np.ndarray = attrs.field(repr=False)
    seed: int
    draws: int
    block_size: int

    def counts(self) -> list[int]:
        """Draws that met each measure, in ``keys`` order."""
        return [int(n) for n in np.bitwise_count(self.bits).sum(axis=1, dtype=np.int64)]

    def flags(self, key: Key) -> np.ndarray:
        """(draws,) bool: whether each draw met the measure ``key``."""
        row = self.keys.index(key)
        return np.unpackbits(self.bits[row], count=self.draws).astype(bool)

    def to_bytes(self) -> bytes:
        """``outcomes.npz``: a zip of ``.npy`` arrays (``outcomes``, ``measure``, ``entity``,
        ``seed`` as text, ``draws``, ``block_size``), the same bytes for the same run (no
        timestamps), read back by :meth:`from_file` without pickle."""
        arrays = {"outcomes": self.bits,
                  "measure": np.array([m for m, _ in self.keys], dtype=str),
                  "entity": np.array([e for _, e in self.keys], dtype=str),
                  # Text: a seed may exceed any fixed-width integer.
                  "seed": np.array(str(self.seed)),
                  "draws": np.array(self.draws, dtype=np.int64),
                  "block_size": np.array(self.block_size, dtype=np.int64)}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for name, array in arrays.items():
                member = io.BytesIO()
                np.lib.format.write_array(member, array, allow_pickle=False)
                archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                                 member.getvalue())
        return buffer.getvalue()

    @classmethod
    def from_file(cls, path: Path) -> DrawOutcomes:
        """Read ``outcomes.npz`` (a regular file of at most :data:`MAX_OUTCOMES_BYTES`); a file
        that is not one is a :class:`~sim.errors.ResultsError` naming it."""
        data = read_bytes(path, lambda key, problem: ResultsError(path, key, problem),
                          limit=MAX_OUTCOMES_BYTES)
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                missing = [name for name in _ARRAYS if name not in archive.files]
                if missing:
                    raise ResultsError(path, None, f"cannot be read: no array {missing[0]!r}; "
                                       "write it again with `summit run --out`")
                arrays: Mapping[str, np.ndarray] = {name: archive[name] for name in _ARRAYS}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise ResultsError(path, None, f"cannot be read: {' '.join(str(err).split())}") \
                from None
        return cls._checked(arrays, path)

    @classmethod
    def _checked(cls, arrays: Mapping[str, np.ndarray], path: Path) -> DrawOutcomes:
        """The outcomes of arrays read from ``path``, each of the kind and shape it must be."""
        def whole(name: str) -> int:
            value = arrays[name]
            if value.shape != () or value.dtype.kind not in "iu" or int(value) < 1:
                raise ResultsError(path, name, "must be a whole number of at least 1")
            return int(value)

        draws, block_size = whole("draws"), whole("block_size")
        seed = arrays["seed"]
        if seed.shape != () or seed.dtype.kind != "U" or not str(seed).isascii() \
                or not str(seed).isdigit():
            raise ResultsError(path, "seed", "must be a whole number >= 0 written as text")
        measure, entity, bits = arrays["measure"], arrays["entity"], arrays["outcomes"]
        for name, names in (("measure", measure), ("entity", entity)):
            if names.ndim != 1 or names.dtype.kind != "U":
                raise ResultsError(path, name, "must be a list of names")
        if entity.shape != measure.shape:
            raise ResultsError(path, "entity", f"must name {measure.size} entities, one a "
                               f"measure, got {entity.size}")
        if bits.dtype != np.uint8 or bits.shape != (measure.size, -(-draws // 8)):
            raise ResultsError(path, "outcomes", f"must be uint8 bits of shape "
                               f"({measure.size}, {-(-draws // 8)}), got {bits.dtype} "
                               f"{bits.shape}")
        return cls(keys=tuple(zip(measure.tolist(), entity.tolist(), strict=True)), bits=bits,
                   seed=int(str(seed)), draws=draws, block_size=block_size)
