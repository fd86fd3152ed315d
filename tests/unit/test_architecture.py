"""The layer rule of DESIGN.md, enforced on the source tree with the AST.

L0 errors < _util | L1 packet (sans-IO) | L2 streams < runtime | L3 server |
L4 http, ssh, smtp, ftp, snmp | L5 lab | L6 cli, testing.
Imports go downward only; L4 siblings never import each other; streams never imports runtime.
Sans-IO modules import none of socket, ssl, asyncio, selectors, threading, time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "wirekit"

LAYER = {
    "errors": 0,
    "_version": 0,
    "_util": 0.5,  # _util may use errors
    "packet": 1,
    "codecs": 1,
    "streams": 2,
    "runtime": 2.5,
    "server": 3,
    "http": 4,
    "ssh": 4,
    "smtp": 4,
    "ftp": 4,
    "snmp": 4,
    "lab": 5,
    "cli": 6,
    "__main__": 7,  # python -m wirekit: the CLI entry point
    "testing": 6,
}
# Drivers that live beside a sans-IO family but do I/O by design (raw sockets for live capture).
LAYER_OVERRIDES = {"packet.live": 2}

IO_MODULES = {"socket", "ssl", "asyncio", "selectors", "threading", "time"}
SANS_IO_GLOBS = [
    "errors.py",
    "_util/*.py",
    "streams/buffer.py",
    "streams/framing.py",
    "streams/endpoint.py",
    "packet/*.py",
    "packet/layers/*.py",
    "snmp/ber.py",
    "snmp/message.py",
    "snmp/usm.py",
    "snmp/pdu.py",
    "smtp/protocol.py",
    "ftp/protocol.py",
    "snmp/values.py",
    "snmp/responder.py",
    "snmp/session.py",
    "snmp/mibtree.py",
    "snmp/mib.py",
    "snmp/snmprec.py",
    "smtp/server_protocol.py",
    "smtp/client_protocol.py",
    "smtp/message.py",
    "ftp/paths.py",
    "http/models.py",
    "http/urls.py",
    "http/redirects.py",
    "http/cookies.py",
    "http/auth.py",
    "http/decoding.py",
    "http/retries.py",
    "http/content.py",
    "ssh/inventory.py",
    "ssh/config.py",
    "runtime/backoff.py",
]
SANS_IO_EXCLUDE = {"packet/live.py", "packet/plot.py", "packet/dataset.py"}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def _dotted(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module name, line) for every import in ``path``; relative imports resolved."""
    tree = ast.parse(path.read_text(), str(path))
    pkg_parts = ["wirekit", *path.relative_to(SRC).with_suffix("").parts]
    if pkg_parts[-1] == "__init__":
        pkg_parts = pkg_parts[:-1]
    else:
        pkg_parts = pkg_parts[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    out.extend((f"{mod}.{a.name}", node.lineno) for a in node.names)
                    continue
            else:
                mod = node.module or ""
            out.append((mod, node.lineno))
    return out


def _layer(dotted: str) -> float | None:
    for key, layer in LAYER_OVERRIDES.items():
        if dotted == key or dotted.startswith(key + "."):
            return layer
    top = dotted.split(".")[0]
    return LAYER.get(top)


def test_every_package_has_a_layer() -> None:
    tops = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in _modules()} - {"__init__"}
    assert tops <= set(LAYER), f"packages without a layer: {tops - set(LAYER)}"


def test_imports_go_downward_only() -> None:
    problems = []
    for path in _modules():
        me = _dotted(path)
        if not me:
            continue  # wirekit/__init__.py: lazy re-exports by name only
        my_layer = _layer(me)
        my_top = me.split(".")[0]
        for mod, line in _imports(path):
            if not mod.startswith("wirekit.") and mod != "wirekit":
                continue
            target = mod.removeprefix("wirekit.").removeprefix("wirekit")
            if not target:
                continue
            their_top = target.split(".")[0]
            if their_top == my_top:
                continue
            their_layer = _layer(target)
            if their_layer is None or my_layer is None:
                continue
            if their_layer > my_layer:
                problems.append(f"{me}:{line} imports upward {mod}")
            elif their_layer == my_layer:
                problems.append(f"{me}:{line} imports its sibling {mod}")
    assert not problems, "\n".join(problems)


def _sans_io_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in SANS_IO_GLOBS:
        files.update(SRC.glob(pattern))
    return sorted(f for f in files if str(f.relative_to(SRC)) not in SANS_IO_EXCLUDE)


def test_sans_io_modules_do_no_io() -> None:
    problems = []
    files = _sans_io_files()
    assert len(files) >= 5
    for path in files:
        for mod, line in _imports(path):
            if mod.split(".")[0] in IO_MODULES:
                problems.append(f"{path.relative_to(SRC)}:{line} imports {mod}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "heavy",
    [
        "asyncio",
        "ssl",
        "click",
        "rich",
        "cryptography",
        "numpy",
        "pyarrow",
        "asyncssh",
        "aiohttp",
        "urllib3",
    ],
)
def test_import_wirekit_is_light(heavy: str) -> None:
    code = f"import sys, wirekit, wirekit.errors; print({heavy!r} in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False", f"import wirekit pulled in {heavy}"
