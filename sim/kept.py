"""Values made before, kept per process and found again: what a sweep's variants make alike.

A sweep builds variant after variant of one scenario, and most of what each builds (an ally's
tables, paths, plans, terms) is what the variant before built from the same inputs. A
:class:`Kept` holds such values by what they were made from: plain values (numbers by
``repr``, which tells -0.0 from 0.0) and objects by identity. An entry keeps the objects it was
made from, so an id freed and given to a newer object is never taken for the old one. Bounded:
emptied when full. What it hands out is shared: callers never write into it (or copy it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Kept(dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]]):
    """Values by key: ``(*ids of the objects held, *values)`` to ``(objects held, value)``."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def made(self, make: Callable[[], T], key: tuple[Any, ...] = (),
             held: tuple[Any, ...] = ()) -> T:
        """``make()``, or what it made before for the same objects ``held`` and ``key``."""
        found = (*map(id, held), *key)
        kept = self.get(found)
        if kept is not None and all(ours is theirs
                                    for ours, theirs in zip(kept[0], held, strict=True)):
            value: T = kept[1]
            return value
        value = make()
        if len(self) >= self.most:
            self.clear()
        self[found] = held, value
        return value
