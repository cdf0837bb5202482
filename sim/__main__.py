"""``python -m sim``: the ``summit`` command."""

from .cli import main

main()
