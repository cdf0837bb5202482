"""Values kept by what they were made from: found again for the same objects and values only."""

from __future__ import annotations

from sim.kept import Kept


def test_a_value_is_made_once_for_the_same_objects_and_values():
    kept, held, calls = Kept(8), [1.0], []

    def make() -> str:
        calls.append(1)
        return f"made {len(calls)}"

    assert kept.made(make, ("0.0",), (held,)) == "made 1"
    assert kept.made(make, ("0.0",), (held,)) == "made 1"
    assert kept.made(make, ("-0.0",), (held,)) == "made 2"  # other values
    assert kept.made(make, ("0.0",), ([1.0],)) == "made 3"  # an equal but other object


def test_an_id_given_to_a_newer_object_is_not_taken_for_the_old_one():
    kept = Kept(8)
    old = [0]
    kept.made(lambda: "old", (), (old,))
    key = next(iter(kept))
    del old
    newer = [0]
    # Stand the newer object in for a reuse of the old one's id: the entry holds the old one.
    kept[(id(newer),)] = kept.pop(key)
    assert kept.made(lambda: "newer", (), (newer,)) == "newer"


def test_a_full_store_is_emptied_before_it_grows():
    kept = Kept(2)
    for n in range(5):
        kept.made(lambda n=n: n, (n,))
        assert len(kept) <= 2
    assert kept.made(lambda: "again", (4,)) == 4  # the newest is kept
