"""The spending engine: one block of draws, all allies, all years.

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

The engine is pure: shocks in, paths out, no randomness of its own. Here the model's per-ally
terms are worked out once per block; the recursion itself runs in a compiled loop,
:func:`sim.spending.kernels.simulate_block`, which keeps every operation's order and rounding. The
paths live in a :class:`~sim.spending.workspace.Workspace` when the caller lends one, so that block
after block reuses their memory.
"""

from __future__ import annotations

import attrs
import numpy as np

from sim.spending.inputs import ModelInputs, Shocks
from sim.spending.workspace import Workspace


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
    from sim.spending.compiled import kernels  # here: only commands that simulate load them

    workspace = Workspace() if workspace is None else workspace
    steps, draws, allies = shocks.growth.shape
    paths = workspace.array("engine.paths", (3, steps + 1, draws, allies))
    core, related, gdp = paths  # (years, draws, allies) each
    growth = workspace.array("engine.growth", (draws, allies))  # g[t-1] of each draw
    events = workspace.array("engine.events", (draws, allies))  # threat events so far

    core_adjustment, related_adjustment = inputs.core_adjustment, inputs.related_adjustment
    terms = (
        inputs.core_base, inputs.related_base, inputs.gdp_base,
        inputs.growth_mean, inputs.growth_persistence,
        inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2),  # own shock's scale
        inputs.growth_sd * inputs.growth_common,  # the common factor's
        1.0 + inputs.inflation,
        1.0 - core_adjustment, core_adjustment * inputs.core_path, inputs.core_noise,
        inputs.core_floor,
        1.0 - related_adjustment, related_adjustment * inputs.related_path,
        inputs.related_noise, inputs.related_floor,
        shocks.common, shocks.growth, shocks.core, shocks.related)
    if shocks.threat is None:
        threat = (np.empty((0, 0)), np.empty((0, 0, 0)), *np.empty((4, 0)))
    else:
        threat = (shocks.threat, shocks.threat_jump, inputs.threat_rate,
                  core_adjustment * inputs.threat_size,  # the adjustment's share of a rise
                  inputs.threat_size * (1.0 - core_adjustment),  # the rest, at once
                  inputs.threat_spread)
    # The kernel takes C-ordered float arrays: these are, as made here, and pass uncopied.
    terms, threat = ([np.ascontiguousarray(array, dtype=float) for array in arrays]
                     for arrays in (terms, threat))
    kernels().simulate_block(*terms, shocks.threat is not None, *threat,
                           core, related, gdp, growth, events)
    return Paths(core_share=core, related_share=related, gdp_usd=gdp)
