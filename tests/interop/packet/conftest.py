"""Fixtures for packet interop tests: a fresh veth pair between two namespaces per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from netns import VethPair, make_pair


@pytest.fixture
def veth() -> Iterator[VethPair]:
    pair = make_pair()
    try:
        yield pair
    finally:
        pair.close()
