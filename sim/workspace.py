"""Memory that the block loop lends to the sampling, the engine and the tally, block after block.

A block of 4,096 draws needs about 70 MB of arrays: its shocks, its paths and the tally's
scratch. Made afresh for every block, that memory is at the mercy of the C allocator, which may
hand it back to the system after one block and fault it in again, page by page and zeroed, in
the next; on a virtual machine that costs more than the arithmetic. So :mod:`sim.montecarlo`
makes one :class:`Workspace` for a run on one core, or for each task on a pool, and passes it
down; every array in it is made once, at the largest size asked for, and reused after that.

An array from a workspace is valid until the same name is asked for again, that is until the
next block: results that must outlive a block (a tally's counts) never live in one.
"""

from __future__ import annotations

import math

import numpy as np


class Workspace:
    """Named uninitialised arrays, each kept from one request to the next."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type = float) -> np.ndarray:
        """Array ``name`` of ``shape`` and ``dtype``, uninitialised, in the memory of the last
        request for ``name`` when that is large enough."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        buffer = self._buffers.get(name)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = self._buffers[name] = np.empty(nbytes, dtype=np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)
