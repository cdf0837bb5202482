"""The spending engine: one block of draws, all allies, all years.

It implements SPEC 3.1 and 3.2 exactly, with every further mechanism off:

- growth ``g[t] = mu + rho*(g[t-1] - mu) + sd*(common*f[t] + sqrt(1-common^2)*e[t])``, starting
  from ``g = mu`` in the base year; USD GDP grows by ``(1 + g) * (1 + inflation)``;
- core share ``c[t] = c[t-1] + adjustment*(p[t] - c[t-1]) + noise*z[t]``, then ``max(c, floor)``;
  the related share follows the same equation toward its own path.

Mechanisms (:mod:`sim.mechanisms`), threat events the first, add to the core share's
step when a scenario turns them on; off, the code paths that apply them are skipped and the
equations above hold exactly. :mod:`sim.spending.reference` is the model written readably in
NumPy; this engine gives its numbers bit for bit.

The engine is pure: draws in, paths out, no randomness of its own. Here the model's per-ally
terms are worked out once per block, as named records; the recursion itself runs in a compiled
loop, :func:`sim.spending.kernels.simulate_block`, which keeps every operation's order and
rounding. The paths live in a :class:`~sim.workspace.Workspace` when the caller lends one, so
that block after block reuses their memory.
"""

from __future__ import annotations

import attrs
import numpy as np

from sim.mechanisms import MECHANISMS
from sim.spending.inputs import Draws, ModelInputs
from sim.spending.records import BlockPaths, SpendingTerms, StandardNormals
from sim.workspace import Workspace


@attrs.frozen(eq=False)
class Paths:
    """Simulated paths of one block; year index 0 is the base year."""

    core_share: np.ndarray  # (years, draws, allies) % of GDP
    related_share: np.ndarray  # (years, draws, allies) % of GDP
    gdp_usd: np.ndarray  # (years, draws, allies) current USD
    #: (years, draws, allies) % of GDP: the core share of the same draws with threat events
    #: switched off (GDP and the related share are the same); None when they are off.
    core_share_without_threat_events: np.ndarray | None = None


def simulate(inputs: ModelInputs, drawn: Draws, workspace: Workspace | None = None) -> Paths:
    """Run the growth and spending recursions for one block of draws.

    With a ``workspace``, the paths live in it: they are valid until its next block. With
    threat events on, the same pass also gives the core share with them switched off.
    """
    from sim.spending.compiled import kernels  # here: only commands that simulate load them

    workspace = Workspace() if workspace is None else workspace
    steps, draws, allies = drawn.growth.shape
    threat_on = inputs.mechanisms.get("threat") is not None
    # (years, draws, allies) each: core, related, GDP, and the core share without threat events
    paths = workspace.array("engine.paths", (4 if threat_on else 3, steps + 1, draws, allies))
    core, related, gdp = paths[:3]
    calm = paths[3] if threat_on else np.empty((0, 0, 0))
    # (draws, allies) each: g[t-1], threat events so far, intent, debt, last year's, deficit;
    # then intent, debt, last year's and deficit without threat events
    state = workspace.array("engine.state", (10 if threat_on else 6, draws, allies))
    calm_state = list(state[6:]) if threat_on else [np.empty((0, 0))] * 4

    core_adjustment, related_adjustment = inputs.core_adjustment, inputs.related_adjustment
    # The kernel takes C-ordered float arrays: these are, as made here, and pass uncopied.
    terms = SpendingTerms(*(np.ascontiguousarray(array, dtype=float) for array in (
        inputs.core_base, inputs.related_base, inputs.gdp_base,
        inputs.growth_mean, inputs.growth_persistence,
        inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2),
        inputs.growth_sd * inputs.growth_common,
        1.0 + inputs.inflation,
        1.0 - core_adjustment, core_adjustment * inputs.core_path, inputs.core_noise,
        inputs.core_floor,
        1.0 - related_adjustment, related_adjustment * inputs.related_path,
        inputs.related_noise, inputs.related_floor)))
    normals = StandardNormals(*(np.ascontiguousarray(array, dtype=float) for array in (
        drawn.common, drawn.growth, drawn.core, drawn.related)))
    # Each mechanism, in MECHANISMS order: whether it is on, and its compiled step's record.
    mechanisms = [part for mechanism in MECHANISMS for part in (
        inputs.mechanisms[mechanism.NAME] is not None,
        mechanism.compiled_terms(inputs.mechanisms[mechanism.NAME],
                                 drawn.mechanisms.get(mechanism.NAME)))]
    kernels().simulate_block(terms, normals, *mechanisms,
                             BlockPaths(core, related, gdp, calm, *state[:6], *calm_state))
    return Paths(core_share=core, related_share=related, gdp_usd=gdp,
                 core_share_without_threat_events=calm if threat_on else None)
