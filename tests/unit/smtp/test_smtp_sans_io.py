"""The SMTP core modules do no I/O: no socket, ssl, asyncio, selectors, threading or time imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wirekit.smtp

SRC = Path(wirekit.smtp.__file__).parent
FORBIDDEN = {"socket", "ssl", "asyncio", "selectors", "threading", "time", "subprocess"}


@pytest.mark.parametrize("module", ["protocol.py", "server_protocol.py", "client_protocol.py"])
def test_core_module_imports_no_io(module):
    tree = ast.parse((SRC / module).read_text())
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN:
                bad.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            # relative imports stay inside the sans-IO core or go down to errors
            assert (
                node.module.split(".")[0]
                in ("protocol", "errors", "server_protocol", "client_protocol")
                or node.level > 1
            ), node.module
    assert not bad, f"{module} imports {bad}"
