"""pytest plugin (entry point ``pytest11: wirekit``): fixtures that start wirekit lab services.

- ``wirekit_lab_factory``: ``start("snmp", **options) -> LabService``, stopped after the test.
- ``wirekit_lab``: a running lab with every registered service (module scope).
- One fixture per service, module scope: ``echo_server``, ``http_server``, ``ssh_server``,
  ``smtp_server``, ``ftp_server``, ``snmp_agent``. Each yields the running ``LabService``;
  ``.info`` has its endpoints and credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..lab.core import LabThread
from ..lab.service import LabService


def _start(name: str, **options: Any) -> LabThread:
    lab = LabThread([name], options={name: options} if options else None)
    lab.start()
    return lab


@pytest.fixture
def wirekit_lab_factory() -> Iterator[Callable[..., LabService]]:
    """Start lab services on demand: ``svc = wirekit_lab_factory("echo")``."""
    started: list[LabThread] = []

    def start(name: str, **options: Any) -> LabService:
        lab = _start(name, **options)
        started.append(lab)
        return lab.services[name]

    yield start
    for lab in reversed(started):
        lab.stop()


@pytest.fixture(scope="module")
def wirekit_lab() -> Iterator[LabThread]:
    """Every registered lab service, running on 127.0.0.1 ephemeral ports."""
    with LabThread() as lab:
        yield lab


def _service_fixture(service: str) -> Callable[[], Iterator[LabService]]:
    def fixture() -> Iterator[LabService]:
        lab = _start(service)
        try:
            yield lab.services[service]
        finally:
            lab.stop()

    fixture.__doc__ = (
        f"A running lab '{service}' service (module scope); ``.info`` has its endpoints."
    )
    return fixture


echo_server = pytest.fixture(scope="module", name="echo_server")(_service_fixture("echo"))
http_server = pytest.fixture(scope="module", name="http_server")(_service_fixture("http"))
ssh_server = pytest.fixture(scope="module", name="ssh_server")(_service_fixture("ssh"))
smtp_server = pytest.fixture(scope="module", name="smtp_server")(_service_fixture("smtp"))
ftp_server = pytest.fixture(scope="module", name="ftp_server")(_service_fixture("ftp"))
snmp_agent = pytest.fixture(scope="module", name="snmp_agent")(_service_fixture("snmp"))
