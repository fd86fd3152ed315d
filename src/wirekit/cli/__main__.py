"""``python -m wirekit.cli``."""

from . import main

main()
