"""The sync client is generated from the async one; the public namespace stays light and curated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import wirekit.http

ROOT = Path(__file__).resolve().parents[3]


def test_sync_twin_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/unasync_http.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_public_names_resolve() -> None:
    for name in wirekit.http.__all__:
        assert getattr(wirekit.http, name) is not None


def test_import_is_light() -> None:
    code = "import sys, wirekit.http; c = wirekit.http.Client; print('aiohttp' in sys.modules, 'urllib3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [
        "False",
        "False",
    ]  # urllib3 loads on the first request, aiohttp only for AsyncClient


def test_lab_tour_rows_pass(http_server: object) -> None:
    from wirekit.lab.service import Tour

    tour = Tour("http")
    http_server.tour(tour)  # type: ignore[attr-defined]
    assert tour.rows and all(row.ok for row in tour.rows), [r for r in tour.rows if not r.ok]
    info = http_server.info  # type: ignore[attr-defined]
    assert info.endpoints["https"].startswith("https://") and Path(info.extra["ca"]).exists()


SANS_IO = [
    "urls",
    "models",
    "decoding",
    "cookies",
    "redirects",
    "retries",
    "timeouts",
    "auth",
    "content",
    "transport",
]


def test_policy_modules_do_no_io() -> None:
    """The policy core is sans-IO (DESIGN.md): only _base, the client loops and adapters touch clocks or sockets."""
    import ast

    banned = {"socket", "ssl", "asyncio", "selectors", "threading", "time"}
    src = Path(wirekit.http.__file__).parent
    for name in SANS_IO:
        tree = ast.parse((src / f"{name}.py").read_text())
        for node in ast.walk(tree):
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for mod in mods:
                assert mod.split(".")[0] not in banned, f"http/{name}.py imports {mod}"
