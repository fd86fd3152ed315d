"""The public names of wirekit.smtp resolve, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import wirekit.smtp


def test_all_names_resolve():
    for name in wirekit.smtp.__all__:
        assert getattr(wirekit.smtp, name) is not None, name
    assert sorted(wirekit.smtp.__all__) == sorted(set(wirekit.smtp.__all__))


def test_import_is_light():
    code = "import sys, wirekit.smtp; print(','.join(m for m in ('asyncio', 'ssl', 'aiohttp', 'email.message') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
