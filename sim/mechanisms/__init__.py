"""The spending model's mechanisms, each one module behind the :class:`Mechanism` protocol.

SPEC 3.2's share recursion is the model with every mechanism off. A mechanism adds to the core
share's step: each year, what it raises the pull toward intent by, and a jump added after the
floor. Each is one module that declares its scenario table (``KEY`` under ``[defaults]`` and
``[allies.X]``, the attrs class ``Table`` whose fields give unit, hard bounds and typical range),
lays a scenario out as arrays (``arrays``, None when off), names its random stream (``STREAM``),
draws from it (``sample``), and supplies its reference step (NumPy, run by
:mod:`sim.spending.reference`) and its compiled step (``compiled_step``, compiled by
:mod:`sim.spending.kernels`). The scenario loader, the inputs, the sampler and the reference
model find them in :data:`MECHANISMS`; with a mechanism off, nothing of it runs and results are
bit-identical to a run without it. The README's "Adding a mechanism" walks threat events.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from sim.mechanisms import threat
from sim.workspace import Workspace

#: Every mechanism's module, in the order their steps apply. Streams must differ from one
#: another and from 0 and 1 (the spending model's and aid's).
MECHANISM_MODULES = ("sim.mechanisms.threat",)


class Mechanism(Protocol):
    """What a mechanism module provides (:mod:`sim.mechanisms.threat` is one)."""

    NAME: str  # in the engine: the key of ModelInputs.mechanisms and Draws.mechanisms
    KEY: str  # its scenario table under [defaults] and [allies.X]
    STREAM: int  # block b draws from SeedSequence(seed, spawn_key=(b, STREAM))
    Table: type  # the attrs class of its table; its field ``enabled`` turns it on

    def arrays(self, allies: tuple[Any, ...]) -> Any | None: ...

    def sample(self, terms: Any, rng: np.random.Generator, steps: int, draws: int,
               workspace: Workspace | None = None) -> Any: ...

    def reference_start(self, terms: Any, draws: int) -> Any: ...

    def reference_step(self, state: Any, terms: Any, drawn: Any,
                       t: int) -> tuple[np.ndarray, np.ndarray]: ...

    def compiled_terms(self, terms: Any | None, drawn: Any | None) -> Any: ...


#: The mechanism modules of MECHANISM_MODULES.
MECHANISMS: tuple[Mechanism, ...] = (threat,)
