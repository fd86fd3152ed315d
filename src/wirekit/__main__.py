"""``python -m wirekit``: the CLI."""

from .cli import main

main()
