"""wirekit.ssh's public names: every one in __all__ resolves, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import wirekit.ssh


@pytest.mark.parametrize("name", wirekit.ssh.__all__)
def test_public_name_resolves(name):
    assert getattr(wirekit.ssh, name) is not None


def test_unknown_name():
    with pytest.raises(AttributeError):
        wirekit.ssh.NoSuchThing  # noqa: B018


def test_import_does_not_load_asyncssh():
    code = "import sys, wirekit, wirekit.ssh; print('asyncssh' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
