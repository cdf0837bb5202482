"""The vectorized spending engine: one block of draws, all allies, all years at once.

It implements SPEC 3.1 and 3.2 exactly, with every further mechanism off:

- growth ``g[t] = mu + rho*(g[t-1] - mu) + sd*(common*f[t] + sqrt(1-common^2)*e[t])``, starting
  from ``g = mu`` in the base year; USD GDP grows by ``(1 + g) * (1 + inflation)``;
- core share ``c[t] = c[t-1] + adjustment*(p[t] - c[t-1]) + noise*z[t]``, then ``max(c, floor)``;
  the related share follows the same equation toward its own path.

Threat events, when a scenario enables them, raise the intended core share ``p`` for good by
``size`` per event, and in an event year the core share rises at once by a jump
``size + spread*v[i,t]`` rather than by ``adjustment`` of the rise in intent, then is floored (an
event in year ``t`` for an ally when ``u[t] < rate``); off, the code paths that apply them are
skipped and the equation above holds exactly.

The engine is pure: shocks in, paths out, no randomness of its own.

Its speed matters (a run costs little more than drawing its random numbers), but its results are
part of the reproducibility contract: the same seed gives the same bits. So every floating-point
operation is done as written above, in that order, one NumPy operation at a time; the speed
comes only from doing without copies, temporaries, fresh memory and per-call overhead. Its
memory, the paths included, comes from a :class:`~sim.workspace.Workspace` when the caller lends
one, so that block after block reuses it.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from .inputs import ModelInputs, Shocks
from .workspace import Workspace

#: Draws per row of the 2-D views the loops work on (or the largest divisor of the block's
#: draws below it). A (draws, allies) slice broadcast against a per-ally vector makes NumPy
#: loop over rows of only ``allies`` numbers, several times slower than a flat loop; viewing
#: the slice as rows of this many draws, against the vector tiled to one such row, lets the
#: inner loop run over whole rows while the tiled vector stays in cache.
ROW_DRAWS = 256

#: Draws taken together through all the years: few enough that a chunk's arrays stay in a
#: core's own cache from one operation to the next, enough that NumPy's per-call overhead stays
#: small. A multiple of ROW_DRAWS.
CHUNK_DRAWS = 2048

def row_draws(draws: int) -> int:
    """Draws per row of the 2-D views of a block of ``draws`` draws (divides ``draws``)."""
    return math.gcd(draws, ROW_DRAWS)


@attrs.frozen(eq=False)
class Paths:
    """Simulated paths of one block; year index 0 is the base year."""

    core_share: np.ndarray  # (years, draws, allies) % of GDP
    related_share: np.ndarray  # (years, draws, allies) % of GDP
    gdp_usd: np.ndarray  # (years, draws, allies) current USD


def simulate(inputs: ModelInputs, shocks: Shocks, workspace: Workspace | None = None) -> Paths:
    """Run the growth and spending recursions for one block of draws.

    With a ``workspace``, the paths live in it: they are valid until its next block.
    """
    workspace = Workspace() if workspace is None else workspace
    steps, draws, allies = shocks.growth.shape
    paths = workspace.array("engine.paths", (3, steps + 1, draws, allies))
    core, related, gdp = paths  # (years, draws, allies) each
    core[0] = inputs.core_base
    related[0] = inputs.related_base
    gdp[0] = inputs.gdp_base

    # The loops work on (years, rows, row) views, a row holding per_row draws of every ally.
    per_row = row_draws(draws)
    n_rows, row = draws // per_row, per_row * allies
    terms = _Terms.of(inputs, per_row, workspace)
    core_rows, related_rows, gdp_rows, growth_shocks, core_shocks, related_shocks = (
        array.reshape(len(array), n_rows, row)
        for array in (core, related, gdp, shocks.growth, shocks.core, shocks.related))

    # A chunk of draws at a time through all the years, to keep its arrays in cache.
    chunk_rows = max(1, min(CHUNK_DRAWS // per_row, n_rows))
    growth_rows = workspace.array("engine.growth", (chunk_rows, row))  # g[t-1], the chunk's
    scratch_rows = workspace.array("engine.scratch", (chunk_rows, row))
    threat = None if shocks.threat is None else _Threat.of(inputs, per_row, chunk_rows, row,
                                                           shocks.threat_jump, workspace)
    for first in range(0, n_rows, chunk_rows):
        last = min(first + chunk_rows, n_rows)
        chunk = slice(first, last)
        common = shocks.common[:, first * per_row:last * per_row]  # (steps, chunk draws)
        growth, scratch = growth_rows[:last - first], scratch_rows[:last - first]
        scratch_2d = scratch.reshape(-1, allies)
        growth[...] = terms.mu
        if threat is not None:
            threat.start(last - first)
        for t in range(1, steps + 1):
            growth -= terms.mu
            growth *= terms.rho
            growth += terms.mu
            np.multiply(growth_shocks[t - 1, chunk], terms.own_scale, out=scratch)
            growth += scratch
            # The common factor times each ally's loading, an outer product: einsum writes it
            # without NumPy's slow loop over short broadcast rows (single products: same bits).
            np.einsum("d,a->da", common[t - 1], terms.common_scale, out=scratch_2d)
            growth += scratch
            np.add(growth, 1.0, out=scratch)
            scratch *= terms.nominal
            np.multiply(gdp_rows[t - 1, chunk], scratch, out=gdp_rows[t, chunk])

            rise = None
            if threat is not None:
                rise = threat.events(shocks.threat[t - 1, first * per_row:last * per_row])
            terms.core.adjust(t, core_rows[t - 1, chunk], core_shocks[t - 1, chunk],
                              out=core_rows[t, chunk], scratch=scratch, intent_rise=rise)
            if threat is not None:
                threat.jump(t, chunk, terms.core.floor, out=core_rows[t, chunk], scratch=scratch)
            terms.related.adjust(t, related_rows[t - 1, chunk], related_shocks[t - 1, chunk],
                                 out=related_rows[t, chunk], scratch=scratch)
    return Paths(core_share=core, related_share=related, gdp_usd=gdp)


@attrs.frozen(eq=False)
class _Adjustment:
    """Per-ally terms of the partial adjustment of one share, tiled to one row of draws."""

    keep: np.ndarray  # (row,) 1 - adjustment
    pull: np.ndarray  # (years, row) adjustment * p[t]
    noise: np.ndarray  # (row,)
    floor: np.ndarray  # (row,)

    def adjust(self, t: int, previous: np.ndarray, shock: np.ndarray, *, out: np.ndarray,
               scratch: np.ndarray, intent_rise: np.ndarray | None = None) -> None:
        """Partial adjustment toward intent, plus execution noise, floored (SPEC 3.2).

        Written as ``(1 - a)*c + a*p`` rather than ``c + a*(p - c)``: the same number in exact
        arithmetic, and in floating point it reaches the path exactly when ``a`` is 1.
        ``intent_rise`` is ``a`` times what threat events have added to ``p``, when they are on.
        """
        np.multiply(previous, self.keep, out=out)
        out += self.pull[t]
        if intent_rise is not None:
            out += intent_rise
        np.multiply(shock, self.noise, out=scratch)
        out += scratch
        np.maximum(out, self.floor, out=out)


@attrs.frozen(eq=False)
class _Terms:
    """The model's per-ally parameters, each tiled to one row of ``per_row`` draws."""

    mu: np.ndarray  # (row,) mean growth
    rho: np.ndarray  # (row,) persistence
    own_scale: np.ndarray  # (row,) sd * sqrt(1 - common^2)
    common_scale: np.ndarray  # (allies,) sd * common, not tiled (see the einsum)
    nominal: np.ndarray  # (row,) 1 + inflation
    core: _Adjustment
    related: _Adjustment

    @classmethod
    def of(cls, inputs: ModelInputs, per_row: int, workspace: Workspace) -> _Terms:
        def tiled(vector: np.ndarray, name: str) -> np.ndarray:
            shape = (*vector.shape[:-1], per_row, vector.shape[-1])
            rows = workspace.array(f"engine.{name}", shape)
            rows[...] = vector[..., None, :]
            return rows.reshape(*vector.shape[:-1], -1)

        def adjustment(share: str, path: np.ndarray, adjustment: np.ndarray,
                       noise: np.ndarray, floor: np.ndarray) -> _Adjustment:
            return _Adjustment(keep=tiled(1.0 - adjustment, f"{share}_keep"),
                               pull=tiled(adjustment * path, f"{share}_pull"),
                               noise=tiled(noise, f"{share}_noise"),
                               floor=tiled(floor, f"{share}_floor"))

        return cls(
            mu=tiled(inputs.growth_mean, "mu"),
            rho=tiled(inputs.growth_persistence, "rho"),
            own_scale=tiled(inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2), "own"),
            common_scale=inputs.growth_sd * inputs.growth_common,
            nominal=tiled(1.0 + inputs.inflation, "nominal"),
            core=adjustment("core", inputs.core_path, inputs.core_adjustment, inputs.core_noise,
                            inputs.core_floor),
            related=adjustment("related", inputs.related_path, inputs.related_adjustment,
                               inputs.related_noise, inputs.related_floor),
        )


@attrs.define(eq=False)
class _Threat:
    """Threat events of one block, chunk by chunk, in the engine's row layout."""

    rate: np.ndarray  # (row,) events a year
    pull: np.ndarray  # (row,) adjustment * size: the adjustment's share of one event's rise
    jump_size: np.ndarray  # (row,) size * (1 - adjustment): the rest, arriving at once
    spread: np.ndarray  # (row,)
    jump_shocks: np.ndarray  # (steps, rows, row) standard normals v of each ally's jump
    allies: int
    buffers: np.ndarray  # (4, chunk rows, row): the chunk's count, new events, rise, uniforms
    count: np.ndarray = attrs.field(init=False)  # (rows, row) events so far
    new: np.ndarray = attrs.field(init=False)  # (rows, row) this year's events, 0 or 1
    rise: np.ndarray = attrs.field(init=False)  # (rows, row) adjustment * size * count
    uniform: np.ndarray = attrs.field(init=False)  # (rows, row) each draw's number, per ally

    @classmethod
    def of(cls, inputs: ModelInputs, per_row: int, chunk_rows: int, row: int,
           jump_shocks: np.ndarray, workspace: Workspace) -> _Threat:
        adjustment = inputs.core_adjustment
        return cls(
            rate=np.tile(inputs.threat_rate, per_row),
            pull=np.tile(adjustment * inputs.threat_size, per_row),
            jump_size=np.tile(inputs.threat_size * (1.0 - adjustment), per_row),
            spread=np.tile(inputs.threat_spread, per_row),
            jump_shocks=jump_shocks.reshape(len(jump_shocks), -1, row),
            allies=inputs.n_allies,
            buffers=workspace.array("engine.threat", (4, chunk_rows, row)),
        )

    def start(self, rows: int) -> None:
        """Begin a chunk of ``rows`` rows with no events yet."""
        self.count, self.new, self.rise, self.uniform = self.buffers[:, :rows]
        self.count[...] = 0.0

    def events(self, uniform: np.ndarray) -> np.ndarray:
        """Count the year's events (``uniform``: one number a draw); return the intent's rise."""
        np.copyto(self.uniform.reshape(-1, self.allies), uniform[:, None])
        np.less(self.uniform, self.rate, out=self.new, casting="unsafe")
        self.count += self.new
        return np.multiply(self.count, self.pull, out=self.rise)

    def jump(self, t: int, chunk: slice, floor: np.ndarray, *, out: np.ndarray,
             scratch: np.ndarray) -> None:
        """Add the year's jumps to the core share ``out`` and floor it again."""
        np.multiply(self.jump_shocks[t - 1, chunk], self.spread, out=scratch)
        scratch += self.jump_size
        scratch *= self.new
        out += scratch
        np.maximum(out, floor, out=out)
