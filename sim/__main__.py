"""``python -m sim``: the ``summit`` command."""

from sim.cli import main

main()
