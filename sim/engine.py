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
"""

from __future__ import annotations

import attrs
import numpy as np

from .inputs import ModelInputs, Shocks


@attrs.frozen(eq=False)
class Paths:
    """Simulated paths of one block; year index 0 is the base year."""

    core_share: np.ndarray  # (years, draws, allies) % of GDP
    related_share: np.ndarray  # (years, draws, allies) % of GDP
    gdp_usd: np.ndarray  # (years, draws, allies) current USD


def simulate(inputs: ModelInputs, shocks: Shocks) -> Paths:
    """Run the growth and spending recursions for one block of draws."""
    steps, draws, allies = shocks.growth.shape
    core = np.empty((steps + 1, draws, allies))  # (years, draws, allies)
    related = np.empty((steps + 1, draws, allies))  # (years, draws, allies)
    gdp = np.empty((steps + 1, draws, allies))  # (years, draws, allies)
    core[0] = inputs.core_base
    related[0] = inputs.related_base
    gdp[0] = inputs.gdp_base

    mu = inputs.growth_mean
    rho = inputs.growth_persistence
    common_scale = inputs.growth_sd * inputs.growth_common
    own_scale = inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2)
    nominal = 1.0 + inputs.inflation
    growth = np.broadcast_to(mu, (draws, allies)).copy()  # (draws, allies) g[t-1]
    scratch = np.empty((draws, allies))
    if shocks.threat is not None:
        events = np.zeros((draws, allies))  # (draws, allies) threat events so far
    for t in range(1, steps + 1):
        # Growth: in place on the previous year's growth to keep the block in cache.
        growth -= mu
        growth *= rho
        growth += mu
        np.multiply(shocks.growth[t - 1], own_scale, out=scratch)
        growth += scratch
        growth += shocks.common[t - 1][:, None] * common_scale
        np.add(growth, 1.0, out=scratch)
        scratch *= nominal
        np.multiply(gdp[t - 1], scratch, out=gdp[t])

        intent = inputs.core_path[t]
        if shocks.threat is not None:
            new = shocks.threat[t - 1][:, None] < inputs.threat_rate  # (draws, allies)
            events += new
            intent = intent + inputs.threat_size * events
        _adjust(core[t - 1], intent, inputs.core_adjustment, inputs.core_noise,
                inputs.core_floor, shocks.core[t - 1], out=core[t], scratch=scratch)
        if shocks.threat is not None:
            # The year's jump arrives at once, as a supplementary budget would, in place of the
            # adjustment's share of the rise in intent already added.
            jump = inputs.threat_size * (1.0 - inputs.core_adjustment)
            jump = new * (jump + inputs.threat_spread * shocks.threat_jump[t - 1])
            core[t] += jump
            np.maximum(core[t], inputs.core_floor, out=core[t])
        _adjust(related[t - 1], inputs.related_path[t], inputs.related_adjustment,
                inputs.related_noise, inputs.related_floor, shocks.related[t - 1],
                out=related[t], scratch=scratch)
    return Paths(core_share=core, related_share=related, gdp_usd=gdp)


def _adjust(previous: np.ndarray, intent: np.ndarray, adjustment: np.ndarray,
            noise: np.ndarray, floor: np.ndarray, shock: np.ndarray, *, out: np.ndarray,
            scratch: np.ndarray) -> None:
    """Partial adjustment toward intent, plus execution noise, floored (SPEC 3.2).

    Written as ``(1 - a)*c + a*p`` rather than ``c + a*(p - c)``: the same number in exact
    arithmetic, and in floating point it reaches the path exactly when ``a`` is 1.
    """
    np.multiply(previous, 1.0 - adjustment, out=out)
    out += adjustment * intent
    np.multiply(shock, noise, out=scratch)
    out += scratch
    np.maximum(out, floor, out=out)
