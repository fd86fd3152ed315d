"""Run benchmarks: ``python -m bench [NAME ...]`` runs bench/NAME.py's ``main()`` (all when none given).

Each benchmark runs wirekit and its anchors on the same work in one run and writes a results
table to bench/results/NAME.md. Ratios from one run count; absolute times do not.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or available()
    failed = []
    for name in names:
        print(f"== bench {name}", flush=True)
        t0 = time.monotonic()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one benchmark failing must not hide the others' results
            print(f"!! bench {name} failed: {type(exc).__name__}: {exc}", flush=True)
            failed.append(name)
        print(f"== bench {name} done in {time.monotonic() - t0:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
