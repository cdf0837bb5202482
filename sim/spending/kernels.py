"""The compiled inner loops of the engine and the tally: one pass over a block's ally-years.

Written as NumPy array operations, the engine and the tally cost more than the random numbers
they consume, because each of their ~60 operations a year makes its own pass over memory. Here
Numba compiles the same arithmetic into one loop over draws and allies per year.

The results are part of the reproducibility contract, so the loops do every floating-point
operation of the model one at a time, in the order the SPEC writes it, each rounded to double
as NumPy rounds it: compiled without ``fastmath``, so the compiler may neither reassociate sums
nor contract a multiply and an add into one fused operation (``tests/spending/test_kernels.py``
checks the paths and counts bit for bit against the model's NumPy reference,
:mod:`sim.spending.reference`, and the machine code for fused multiply-adds). The kernels take
their terms as named records (NamedTuples of arrays), and compile each mechanism's step
(:mod:`sim.mechanisms`) with the same options. Reductions across allies, whose order
NumPy chooses (the alliance's USD sums), and logarithms, whose last bit depends on the maths
library, stay in NumPy: the USD shortfalls are worked out and counted here, around NumPy's
logarithm of them (:func:`shortfalls`, :func:`count_gaps`).

The kernels are compiled for their signatures when this module is first imported, or loaded
from Numba's cache next to it. A run imports this module only where the kernels cannot be
built ahead of time (:mod:`sim.spending.compiled`); then the pool's fork server imports it too
(``compiled.preload()``), so that every worker starts with them ready.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

from sim.mechanisms import MECHANISM_MODULES, commitment, fiscal, plans, threat
from sim.spending.records import BlockPaths, SpendingTerms, StandardNormals

COMPILE_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": False,
                                   "boundscheck": False, "error_model": "numpy"}

_F1, _F2, _F3 = numba.float64[::1], numba.float64[:, ::1], numba.float64[:, :, ::1]
_I1, _I2 = numba.int64[::1], numba.int64[:, ::1]

#: Draws worked together through one year. The model's per-ally terms are tiled to this many
#: draws, so that each step is one flat loop over a chunk's draws and allies (which the
#: compiler turns into vector instructions) rather than a short loop per draw over 31 allies;
#: a chunk's arrays, 16 kB each, stay in a core's cache from one step to the next.
CHUNK_DRAWS = 64


@numba.njit(_F1(_F1, numba.int64), **COMPILE_OPTIONS)
def _tiled(vector, draws):
    """A per-ally vector (allies,) repeated for ``draws`` draws: (draws * allies,)."""
    allies = vector.size
    out = np.empty(draws * allies)
    for d in range(draws):
        out[d * allies:(d + 1) * allies] = vector
    return out


@numba.njit(numba.void(_F1, _F1, numba.int64, numba.int64, numba.int64, _F1), **COMPILE_OPTIONS)
def _outer(per_draw, per_ally, first, draws, allies, out):
    """``out[d*allies + a] = per_draw[first + d] * per_ally[a]`` for ``draws`` draws."""
    for d in range(draws):
        value = per_draw[first + d]
        for a in range(allies):
            out[d * allies + a] = value * per_ally[a]


@numba.njit(numba.void(_F1, _F1, _F1, _F1, _F1, _F1, _F1), **COMPILE_OPTIONS)
def _adjust(before, keep, pull, shock, noise, floor, now):
    """SPEC 3.2 for a chunk, with no threat events: ``now = max(before*keep + pull +
    shock*noise, floor)``, the terms tiled to the chunk, as (1 - a)*c + a*p (exactly the path
    when a is 1)."""
    for k in range(now.size):
        share = before[k] * keep[k] + pull[k]
        share = share + shock[k] * noise[k]
        if share < floor[k]:
            share = floor[k]
        now[k] = share


_TERMS = numba.types.NamedTuple((_F1,) * 9 + (_F2, _F1, _F1, _F1, _F2, _F1, _F1), SpendingTerms)
_NORMALS = numba.types.NamedTuple((_F2, _F3, _F3, _F3), StandardNormals)
_PATHS = numba.types.NamedTuple((_F3,) * 4 + (_F2,) * 10, BlockPaths)
_PLANS = numba.types.NamedTuple((_F2, _I2, _F2), plans.PlanTerms)
_FISCAL = numba.types.NamedTuple((_F1,) * 4 + (_F2, _F1, _F1, _F2) + (_F1,) * 5,
                                 fiscal.FiscalTerms)
_COMMITMENT = numba.types.NamedTuple((_F1, _F1, _F1, _I1, _F1, _F2, _I2, _F1),
                                     commitment.CommitmentTerms)
_THREAT = numba.types.NamedTuple((_F1,) * 4 + (_F2, _F2), threat.ThreatTerms)
_I = numba.int64

@numba.njit(_F2(_F2, numba.int64), **COMPILE_OPTIONS)
def _tiled_rows(table, draws):
    """Each row of a (years, allies) table tiled for ``draws`` draws: (years, draws * allies)."""
    out = np.empty((table.shape[0], draws * table.shape[1]))
    for t in range(table.shape[0]):
        out[t] = _tiled(table[t], draws)
    return out


@numba.njit(_FISCAL(_FISCAL, numba.int64), **COMPILE_OPTIONS)
def _tiled_fiscal(terms, draws):
    """Fiscal space's terms tiled for a chunk of ``draws`` draws (its compiled step reads them
    element by element, as the kernel reads its own); its start values stay per ally."""
    return fiscal.FiscalTerms(
        terms.start_debt, terms.start_debt_before, terms.start_deficit,
        _tiled(terms.rate, draws), _tiled_rows(terms.primary, draws),
        _tiled(terms.deflate, draws), _tiled(terms.base, draws),
        _tiled_rows(terms.relief_cap, draws), _tiled(terms.exempt_above, draws),
        _tiled(terms.threshold, draws), _tiled(terms.limit, draws),
        _tiled(terms.elasticity, draws), _tiled(terms.unfunded, draws))


@numba.njit(_I1(_I1, numba.int64), **COMPILE_OPTIONS)
def _tiled_indices(vector, draws):
    """:func:`_tiled` for a per-ally vector of year indices."""
    allies = vector.size
    out = np.empty(draws * allies, dtype=np.int64)
    for d in range(draws):
        out[d * allies:(d + 1) * allies] = vector
    return out


@numba.njit(_COMMITMENT(_COMMITMENT, numba.int64), **COMPILE_OPTIONS)
def _tiled_commitment(terms, draws):
    """Commitment's per-ally terms tiled for a chunk of ``draws`` draws (its compiled step
    reads them element by element); ``remaining``, ``ref`` and the block's credibilities stay
    as they are."""
    return commitment.CommitmentTerms(
        _tiled(terms.keep, draws), _tiled(terms.follow, draws), _tiled(terms.target, draws),
        _tiled_indices(terms.start, draws), terms.remaining, _tiled_rows(terms.coef, draws),
        terms.ref, terms.kappa)


#: The mechanisms' compiled steps (sim.mechanisms), compiled with these options.
_plans_step = numba.njit(numba.void(_PLANS, _I, _I, _I, _F2, _F1, _F1, _F1, _F1),
                         **COMPILE_OPTIONS)(plans.compiled_step)
_fiscal_step = numba.njit(numba.void(_FISCAL, _I, _F1, _F1, _F1, _F1, _F1, _F1),
                          **COMPILE_OPTIONS)(fiscal.compiled_step)
_commitment_step = numba.njit(numba.void(_COMMITMENT, _I, _I, _I, _F2, _F1, _F1, _F1, _F1,
                                         _F1, _F1),
                              **COMPILE_OPTIONS)(commitment.compiled_step)
_threat_step = numba.njit(numba.void(_THREAT, _I, _I, _I, _F1, _F1, _F1),
                          **COMPILE_OPTIONS)(threat.compiled_step)


@numba.njit(numba.void(_F1, _F1, _F1, _F1, _F1, _F1, _F1, _F1, _F1), **COMPILE_OPTIONS)
def _adjust_with(before, keep, pull, raised, shock, noise, floor, jump, now):
    """:func:`_adjust` with what mechanisms add: ``raised`` to the pull before the noise, and
    ``jump`` after the floor, then the floor again."""
    for k in range(now.size):
        share = before[k] * keep[k] + pull[k]
        share = share + raised[k]
        share = share + shock[k] * noise[k]
        if share < floor[k]:
            share = floor[k]
        share = share + jump[k]
        if share < floor[k]:
            share = floor[k]
        now[k] = share


#: The sha256 of the mechanisms' modules, as a number. Numba's cache knows a kernel by its own
#: file and code only, and a compiled step is compiled into the kernel that calls it: the kernel
#: closes over this number, which Numba's cache key includes, so that editing a mechanism
#: compiles the kernel afresh rather than loading a stale one.
_MECHANISMS_CODE = int(hashlib.sha256(b"".join(
    Path(str(sys.modules[name].__file__)).read_bytes() for name in MECHANISM_MODULES
)).hexdigest()[:15], 16)


def _simulate_block(mechanisms_code: int) -> Callable[..., None]:
    """The block kernel, tied to ``mechanisms_code`` (see _MECHANISMS_CODE)."""

    def simulate_block(terms, normals, plans_on, plans_terms, fiscal_on, fiscal_terms,
                       commitment_on, commitment_terms, threat_on, threat_terms, out):
        """Fill the (years, draws, allies) paths of ``out`` for one block (see the records above);
        each mechanism whose flag is on runs its compiled step with its record, in the order of
        sim.mechanisms.MECHANISMS. With threat events on, ``out.calm`` gets the core share of
        the same draws with them switched off, in the same pass: its growth, GDP, related share
        and plan years are the run's own (events move none of them), and fiscal space and
        commitment, which read the core share, run again on its own state."""
        if mechanisms_code < 0:  # never: the number is there for Numba's cache key
            return
        steps, draws, allies = normals.growth.shape
        years, size = steps + 1, draws * allies
        # Flat views: year by year, draw-major rows of every ally.
        core_flat, related_flat = out.core.reshape(years, size), out.related.reshape(years, size)
        gdp_flat = out.gdp.reshape(years, size)
        growth_flat, events_flat = out.growth.reshape(size), out.events.reshape(size)
        intent_flat, debt_flat = out.intent.reshape(size), out.debt.reshape(size)
        debt_before_flat, deficit_flat = out.debt_before.reshape(size), out.deficit.reshape(size)
        # The core share without threat events, and its state (the run's own, never written,
        # when the events are off: there is nothing to switch off)
        calm_flat = out.calm.reshape(years, size) if threat_on else core_flat
        calm_intent_flat = out.calm_intent.reshape(size) if threat_on else intent_flat
        calm_debt_flat = out.calm_debt.reshape(size) if threat_on else debt_flat
        calm_debt_before_flat = (out.calm_debt_before.reshape(size) if threat_on
                                 else debt_before_flat)
        calm_deficit_flat = out.calm_deficit.reshape(size) if threat_on else deficit_flat
        growth_e = normals.growth.reshape(steps, size)
        core_z, related_z = normals.core.reshape(steps, size), normals.related.reshape(steps, size)

        chunk = min(CHUNK_DRAWS, draws)
        mu_, rho_ = _tiled(terms.mu, chunk), _tiled(terms.rho, chunk)
        own_, nominal_ = _tiled(terms.own_scale, chunk), _tiled(terms.nominal, chunk)
        core_keep_, core_noise_ = _tiled(terms.core_keep, chunk), _tiled(terms.core_noise, chunk)
        core_floor_ = _tiled(terms.core_floor, chunk)
        related_keep_, related_noise_ = (_tiled(terms.related_keep, chunk),
                                         _tiled(terms.related_noise, chunk))
        related_floor_ = _tiled(terms.related_floor, chunk)
        core_pull_ = np.empty((years, chunk * allies))
        related_pull_ = np.empty((years, chunk * allies))
        for t in range(years):
            core_pull_[t] = _tiled(terms.core_pull[t], chunk)
            related_pull_[t] = _tiled(terms.related_pull[t], chunk)
        common_ = np.empty(chunk * allies)  # this year's common factor times each ally's loading
        raised = np.empty(chunk * allies)  # what mechanisms add to this year's pull toward intent
        jump = np.empty(chunk * allies)  # and to the share after the floor
        # The planning layers' speed and pull this year, per draw and ally, and fiscal stress;
        # the same for the core share without threat events.
        keep_, pull_ = np.empty(chunk * allies), np.empty(chunk * allies)
        stress_ = np.zeros(chunk * allies)
        calm_keep_, calm_pull_ = np.empty(chunk * allies), np.empty(chunk * allies)
        calm_stress_ = np.zeros(chunk * allies)
        ratio_ = np.empty(chunk * allies)  # this year's Y[t-1]/Y[t]
        scratch = np.empty(chunk * allies)  # Y[ref]/Y[t] for commitment, where needed
        planning = plans_on or commitment_on
        fiscal_ = _tiled_fiscal(fiscal_terms, chunk) if fiscal_on else fiscal_terms
        commitment_ = (_tiled_commitment(commitment_terms, chunk) if commitment_on
                       else commitment_terms)

        for d in range(draws):
            lo, hi = d * allies, (d + 1) * allies
            core_flat[0, lo:hi] = terms.core_base
            related_flat[0, lo:hi] = terms.related_base
            gdp_flat[0, lo:hi] = terms.gdp_base
            growth_flat[lo:hi] = terms.mu
            intent_flat[lo:hi] = terms.core_base
            if fiscal_on:
                debt_flat[lo:hi] = fiscal_terms.start_debt
                debt_before_flat[lo:hi] = fiscal_terms.start_debt_before
                deficit_flat[lo:hi] = fiscal_terms.start_deficit
            if threat_on:
                calm_flat[0, lo:hi] = terms.core_base
                calm_intent_flat[lo:hi] = terms.core_base
                if fiscal_on:
                    calm_debt_flat[lo:hi] = fiscal_terms.start_debt
                    calm_debt_before_flat[lo:hi] = fiscal_terms.start_debt_before
                    calm_deficit_flat[lo:hi] = fiscal_terms.start_deficit
        events_flat[:] = 0.0

        for first in range(0, draws, chunk):
            n_draws = min(chunk, draws - first)
            low, n = first * allies, n_draws * allies
            g_, ev_ = growth_flat[low:low + n], events_flat[low:low + n]
            int_ = intent_flat[low:low + n]
            debt_, debt_before_ = debt_flat[low:low + n], debt_before_flat[low:low + n]
            deficit_ = deficit_flat[low:low + n]
            calm_int = calm_intent_flat[low:low + n]
            calm_debt, calm_debt_before = (calm_debt_flat[low:low + n],
                                           calm_debt_before_flat[low:low + n])
            calm_deficit = calm_deficit_flat[low:low + n]
            keep_n, pull_n, stress_n, ratio_n = keep_[:n], pull_[:n], stress_[:n], ratio_[:n]
            calm_keep_n, calm_pull_n = calm_keep_[:n], calm_pull_[:n]
            calm_stress_n = calm_stress_[:n]
            for t in range(1, years):
                # SPEC 3.1: g = mu + rho*(g - mu) + sd*(common*f + sqrt(1 - common^2)*e)
                _outer(normals.common[t - 1], terms.common_scale, first, n_draws, allies,
                       common_)
                e_ = growth_e[t - 1, low:low + n]
                gdp_before, gdp_now = gdp_flat[t - 1, low:low + n], gdp_flat[t, low:low + n]
                for k in range(n):
                    g = (g_[k] - mu_[k]) * rho_[k] + mu_[k]
                    g = g + e_[k] * own_[k]
                    g = g + common_[k]
                    g_[k] = g
                    gdp_now[k] = gdp_before[k] * ((g + 1.0) * nominal_[k])

                # SPEC 3.2 (see _adjust), with what the mechanisms that are on set and add.
                before, now = core_flat[t - 1, low:low + n], core_flat[t, low:low + n]
                calm_before, calm_now = calm_flat[t - 1, low:low + n], calm_flat[t, low:low + n]
                z_, keep, pull = core_z[t - 1, low:low + n], core_keep_[:n], core_pull_[t, :n]
                calm_keep, calm_pull = keep, pull
                if planning:
                    keep_n[:] = keep
                    pull_n[:] = pull
                    # Y[t-1]/Y[t], the one division every planning layer needs
                    for k in range(n):
                        ratio_n[k] = gdp_before[k] / gdp_now[k]
                    if plans_on:
                        _plans_step(plans_terms, t, first, n_draws, gdp_flat, ratio_n, int_,
                                    keep_n, pull_n)
                        if threat_on:
                            # A plan's intent reads GDP alone: the same without threat events.
                            for a in range(allies):
                                if plans_terms.follow[t, a] != 0.0:
                                    for d in range(n_draws):
                                        calm_int[d * allies + a] = int_[d * allies + a]
                    if threat_on:
                        calm_keep_n[:] = keep_n
                        calm_pull_n[:] = pull_n
                    if fiscal_on:
                        _fiscal_step(fiscal_, t, ratio_n, before, debt_, debt_before_, deficit_,
                                     stress_n)
                        if threat_on:
                            _fiscal_step(fiscal_, t, ratio_n, calm_before, calm_debt,
                                         calm_debt_before, calm_deficit, calm_stress_n)
                    if commitment_on:
                        _commitment_step(commitment_, t, first, n_draws, gdp_flat, ratio_n,
                                         stress_n, int_, keep_n, pull_n, scratch)
                        if threat_on:
                            _commitment_step(commitment_, t, first, n_draws, gdp_flat, ratio_n,
                                             calm_stress_n, calm_int, calm_keep_n, calm_pull_n,
                                             scratch)
                    keep, pull = keep_n, pull_n
                    calm_keep, calm_pull = calm_keep_n, calm_pull_n
                if threat_on:
                    _threat_step(threat_terms, t, first, n_draws, ev_, raised, jump)
                    _adjust_with(before, keep, pull, raised[:n], z_, core_noise_, core_floor_,
                                 jump[:n], now)
                    _adjust(calm_before, calm_keep, calm_pull, z_, core_noise_, core_floor_,
                            calm_now)
                else:
                    _adjust(before, keep, pull, z_, core_noise_, core_floor_, now)
                _adjust(related_flat[t - 1, low:low + n], related_keep_, related_pull_[t],
                        related_z[t - 1, low:low + n], related_noise_, related_floor_,
                        related_flat[t, low:low + n])

    return simulate_block


_ON = numba.boolean
simulate_block = numba.njit(numba.void(_TERMS, _NORMALS, _ON, _PLANS, _ON, _FISCAL, _ON,
                                       _COMMITMENT, _ON, _THREAT, _PATHS),
                            **COMPILE_OPTIONS)(_simulate_block(_MECHANISMS_CODE))


@numba.njit(numba.types.UniTuple(numba.int64, 2)(
    numba.int64, numba.int64, _F2, _F2, _F2,  # year t of years; core, related; out: total
    numba.int64, numba.int64, numba.float64, numba.float64, _F1,  # goal, review, their lines
    numba.float64, numba.int64,  # bins per percentage point, last bin
    _I2, _I2, _I2,  # out: year t's core and total share histograms; first year core goal met
    numba.int64[::1], numba.int64[::1], numba.int64[::1],  # out: meet core, meet goal, credible
    numba.int16[:, ::1], numba.int32[:, :, ::1],  # scratch: first year met; the year's bins
    numba.boolean,  # whether to count the distributions (histograms, first years) too
), **COMPILE_OPTIONS)
def count_year(t, years, core, related, total, goal_index, review_index, goal_core, goal_total,
               review_line, bins_per_point, last_bin, core_hist, total_hist, first_core,
               meet_core, meet_goal, credible, first_year, bins, distributions):
    """Add year ``t``'s per-ally counts of one block to a tally's arrays; fill ``total``.

    ``core``, ``related`` and ``total`` = core + related are (draws, allies) % of GDP; the
    histograms (allies, bins): a share's bin is ``share * bins_per_point``, clipped to
    [0, last_bin] and truncated. ``first_year`` (draws, allies) carries the first year each
    draw met the core goal from year to year, and is counted into ``first_core`` (allies,
    years + 1; last column: never) after the last year. Returns how many draws had every ally
    meet the core goal, and the whole goal, in this year if it is the goal year, else 0 and 0.
    Without ``distributions`` only ``total`` and the probabilities' counts (goal, credible)
    are made: the histograms, ``first_year`` and ``first_core`` are not touched.
    """
    draws, allies = core.shape
    size = draws * allies
    core_flat, related_flat = core.reshape(size), related.reshape(size)
    total_flat, first_flat = total.reshape(size), first_year.reshape(size)
    core_bins, total_bins = bins[0].reshape(size), bins[1].reshape(size)
    if not distributions:
        for k in range(size):
            total_flat[k] = core_flat[k] + related_flat[k]
    elif t == 0:
        first_flat[:] = years  # never, until the core goal is met
    if distributions:
        # One flat loop for the arithmetic (in vector instructions), then the counting.
        for k in range(size):
            c = core_flat[k]
            s = c + related_flat[k]
            total_flat[k] = s
            core_bins[k] = np.int32(min(max(c * bins_per_point, 0.0), last_bin))
            total_bins[k] = np.int32(min(max(s * bins_per_point, 0.0), last_bin))
            if c >= goal_core and first_flat[k] == years:
                first_flat[k] = t
        for d in range(draws):
            for a in range(allies):
                core_hist[a, core_bins[d * allies + a]] += 1
                total_hist[a, total_bins[d * allies + a]] += 1
    if t == review_index:
        for d in range(draws):
            for a in range(allies):
                credible[a] += core[d, a] >= review_line[a]
    all_meet_core = 0
    all_meet_goal = 0
    if t == goal_index:
        # Without branches (& rather than and, the allies short of a goal counted): whether
        # an ally meets a goal varies from draw to draw, and branches on it were mispredicted
        # often enough to make this loop cost as much as a year's histograms.
        for d in range(draws):
            short_of_core = 0
            short_of_goal = 0
            for a in range(allies):
                meets_core = core[d, a] >= goal_core
                meets_goal = meets_core & (total[d, a] >= goal_total)
                meet_core[a] += meets_core
                meet_goal[a] += meets_goal
                short_of_core += not meets_core
                short_of_goal += not meets_goal
            all_meet_core += short_of_core == 0
            all_meet_goal += short_of_goal == 0
    if distributions and t == years - 1:
        for d in range(draws):
            for a in range(allies):
                first_core[a, first_year[d, a]] += 1
    return all_meet_core, all_meet_goal


@numba.njit(numba.void(_F2, _F2, _F2, numba.float64, numba.float64, numba.float64,
                       _F3, numba.boolean[:, :, ::1]), **COMPILE_OPTIONS)
def shortfalls(core, total, gdp, goal_core, goal_total, smallest, gaps, positive):
    """Each ally's USD shortfall from the core goal and from the whole goal, from goal-year
    (draws, allies) core and total shares (% of GDP) and GDP (USD), made ready for NumPy's
    logarithm: ``gaps`` (2, draws, allies) gets each shortfall ``(goal - share) / 100 * gdp``
    raised to at least ``smallest`` (the smallest positive number; NaN too, as ``np.fmax``
    raises it), ``positive`` whether the shortfall was above zero."""
    draws, allies = core.shape
    size = draws * allies
    core_flat, total_flat, gdp_flat = core.reshape(size), total.reshape(size), gdp.reshape(size)
    core_gaps, total_gaps = gaps[0].reshape(size), gaps[1].reshape(size)
    core_positive, total_positive = positive[0].reshape(size), positive[1].reshape(size)
    for k in range(size):
        gap = (goal_core - core_flat[k]) / 100.0
        gap = gap * gdp_flat[k]
        core_positive[k] = gap > 0.0
        core_gaps[k] = gap if gap >= smallest else smallest
        gap = (goal_total - total_flat[k]) / 100.0
        gap = gap * gdp_flat[k]
        total_positive[k] = gap > 0.0
        total_gaps[k] = gap if gap >= smallest else smallest


@numba.njit(numba.void(_F3, numba.boolean[:, :, ::1], numba.float64, numba.float64,
                       numba.int64, _I2, _I2, numba.int32[:, :, ::1]), **COMPILE_OPTIONS)
def count_gaps(logs, positive, lowest, per_decade, last_bin, core_gap_hist, total_gap_hist,
               bins):
    """Count the shortfalls whose base-10 logarithms are ``logs`` (2, draws, allies), core goal
    then whole goal, into each ally's histogram (allies, bins): bin 0 where the shortfall was
    not ``positive``, else ``1 + floor((log - lowest) * per_decade)`` with the floor clipped to
    [0, last_bin - 1], each operation rounded as NumPy's passes over the array round it.
    ``bins`` (2, draws, allies) is scratch."""
    _, draws, allies = logs.shape
    size = 2 * draws * allies
    flat_logs, flat_positive, flat_bins = (logs.reshape(size), positive.reshape(size),
                                           bins.reshape(size))
    # The bins in one flat loop (in vector instructions), bin 0 by a product rather than a
    # branch on whether the shortfall is positive, which varies from draw to draw; then the
    # counting.
    for k in range(size):
        value = (flat_logs[k] - lowest) * per_decade
        value = min(max(np.floor(value), 0.0), last_bin - 1.0)
        flat_bins[k] = np.int32(value + 1.0) * flat_positive[k]
    for g in range(2):
        hist = core_gap_hist if g == 0 else total_gap_hist
        for d in range(draws):
            for a in range(allies):
                hist[a, bins[g, d, a]] += 1


@numba.njit(numba.types.UniTuple(numba.int64, 3)(
    _F3, numba.int64, numba.int64, numba.float64, numba.float64, numba.float64,  # alliance
    numba.float64, numba.int64,  # bins per percentage point, last bin
    _I2, _I2, _I1,  # out: core and total share histograms (years, bins); first year core met
    numba.boolean[:, ::1],  # out: (2, draws) whether the goal year meets core, whole goal
    numba.boolean,  # whether to count the distributions (histograms, first year) too
), **COMPILE_OPTIONS)
def count_alliance(alliance, goal_index, review_index, goal_core, goal_total, credible_line,
                   bins_per_point, last_bin, core_hist, total_hist, first_core, meets,
                   distributions):
    """Add one block's alliance-wide counts to a tally's arrays, from ``alliance`` (3, years,
    draws): GDP (unused here), then the GDP-weighted core and total shares, % of GDP. Binned
    as :func:`count_year` bins an ally's shares; the first year the core goal is met counted
    into ``first_core`` (years + 1; last: never); ``meets`` gets the goal year's flags. Returns
    how many draws meet the core goal and the whole goal in the goal year, and how many are at
    or above ``credible_line`` in the review year. Without ``distributions``, only those
    counts and ``meets``: ``alliance`` need hold only the goal and review years."""
    _, years, draws = alliance.shape
    core, total = alliance[1], alliance[2]
    for t in range(years if distributions else 0):
        for d in range(draws):
            core_hist[t, np.int32(min(max(core[t, d] * bins_per_point, 0.0), last_bin))] += 1
        for d in range(draws):
            total_hist[t, np.int32(min(max(total[t, d] * bins_per_point, 0.0), last_bin))] += 1
    meets_core = 0
    meets_goal = 0
    credible = 0
    for d in range(draws):
        core_met = core[goal_index, d] >= goal_core
        goal_met = core_met & (total[goal_index, d] >= goal_total)
        meets[0, d] = core_met
        meets[1, d] = goal_met
        meets_core += core_met
        meets_goal += goal_met
        credible += core[review_index, d] >= credible_line
        if distributions:
            first = years  # never, unless a year below meets the core goal
            for t in range(years - 1, -1, -1):
                first = t if core[t, d] >= goal_core else first
            first_core[first] += 1
    return meets_core, meets_goal, credible
