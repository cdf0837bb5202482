"""The spending model's mechanisms, each one module behind the :class:`Mechanism` protocol.

SPEC 3.2's share recursion is the model with every mechanism off. A mechanism changes the core
share's step: the planning layers (SPEC 3.5) set its intent and speed, ally by ally and draw by
draw (plans, in the years a plan covers; fiscal space, the stress that slows commitment;
commitment, after the plan), and threat events add to the pull toward intent and a jump after the
floor. Each is one module that declares its scenario table (``KEY`` under ``[defaults]`` and
``[allies.X]``, the attrs class ``Table`` whose fields give unit, hard bounds and typical range),
lays a resolved scenario out as arrays (``arrays``, None when off), names its random stream
(``STREAM``, None if it draws nothing), draws from it (``sample``), and supplies its reference
step (NumPy, run by :mod:`sim.spending.reference`) and its compiled step (``compiled_step``,
compiled by :mod:`sim.spending.kernels`). The scenario loader, the inputs, the sampler and the
reference model find them in :data:`MECHANISMS`; with a mechanism off, nothing of it runs and
results are bit-identical to a run without it. The README's "Adding a mechanism" walks threat
events.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from sim.mechanisms import commitment, fiscal, plans, threat
from sim.workspace import Workspace

#: Every mechanism's module, in the order their steps apply. Streams must differ from one
#: another and from 0 and 1 (the spending model's and aid's).
MECHANISM_MODULES = ("sim.mechanisms.plans", "sim.mechanisms.fiscal",
                     "sim.mechanisms.commitment", "sim.mechanisms.threat")


class Mechanism(Protocol):
    """What a mechanism module provides (:mod:`sim.mechanisms.threat` is one)."""

    NAME: str  # in the engine: the key of ModelInputs.mechanisms and Draws.mechanisms
    KEY: str  # its scenario table under [defaults] and [allies.X]
    #: Block b draws from SeedSequence(seed, spawn_key=(b, STREAM)); None: it draws nothing.
    STREAM: int | None
    Table: type  # the attrs class of its table; its field ``enabled`` turns it on

    def arrays(self, scenario: Any) -> Any | None: ...

    def sample(self, terms: Any, rng: np.random.Generator, steps: int, draws: int,
               workspace: Workspace | None = None) -> Any: ...

    def compiled_terms(self, terms: Any | None, drawn: Any | None) -> Any: ...

    # and a reference step and a compiled step, whose arguments differ by what the mechanism
    # reads and sets (sim.spending.reference and sim.spending.kernels call each by name).


#: The mechanism modules of MECHANISM_MODULES.
MECHANISMS: tuple[Mechanism, ...] = (plans, fiscal, commitment, threat)
