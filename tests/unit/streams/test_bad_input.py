"""Issue 2 §9: each bad input gives the documented error."""

from __future__ import annotations

import resource
import socket
import threading

import pytest

import wirekit
from wirekit.errors import ConfigError, ConnectError, LineTooLong, TLSError
from wirekit.streams.certs import make_test_tls


def test_malformed_endpoint_lists_forms() -> None:
    with pytest.raises(ConfigError, match="Accepted forms: tcp:HOST:PORT"):
        wirekit.connect("tcp:nohost")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_names_address() -> None:
    port = _closed_port()
    with pytest.raises(ConnectError) as info:
        wirekit.connect(f"tcp:127.0.0.1:{port}", timeout=5)
    assert info.value.address == ("127.0.0.1", port)
    assert f"127.0.0.1:{port}" in str(info.value)


def test_refused_connection_async() -> None:
    port = _closed_port()

    async def main() -> None:
        with pytest.raises(ConnectError) as info:
            await wirekit.aconnect(f"tcp:127.0.0.1:{port}", timeout=5)
        assert info.value.address == ("127.0.0.1", port)

    wirekit.run(main)


def test_tls_failure_gives_reason(tmp_path) -> None:
    tls = make_test_tls(tmp_path)
    listener = wirekit.listen(f"tls:127.0.0.1:0?cert={tls.cert}&key={tls.key}")

    def server_side() -> None:
        try:
            listener.accept(timeout=5)
        except Exception:
            pass  # the client aborts the handshake

    t = threading.Thread(target=server_side, daemon=True)
    t.start()
    # The system CAs do not trust the test CA: verification must fail, with the reason.
    with pytest.raises(TLSError) as info:
        wirekit.connect(f"tls:127.0.0.1:{listener.address[1]}", timeout=5)
    assert "certificate" in info.value.reason.lower()
    listener.close()


def test_tls_verify_no_is_explicit(tmp_path) -> None:
    tls = make_test_tls(tmp_path)
    listener = wirekit.listen(f"tls:127.0.0.1:0?cert={tls.cert}&key={tls.key}")
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("s", listener.accept(timeout=5)))
    t.start()
    with wirekit.connect(f"tls:127.0.0.1:{listener.address[1]}?verify=no", timeout=5) as s:
        t.join()
        got["s"].send_line(b"ok")
        assert s.recv_line() == b"ok"
    got["s"].close()
    listener.close()


def test_ten_megabyte_line_hits_the_limit_without_memory_growth() -> None:
    listener = wirekit.listen("tcp:127.0.0.1:0")
    chunk = b"A" * 65536

    def flood() -> None:
        with wirekit.connect(f"tcp:127.0.0.1:{listener.address[1]}", timeout=10) as c:
            try:
                for _ in range(160):  # 10 MiB, no newline
                    c.send_all(chunk)
            except Exception:
                pass  # the server closes on the limit

    t = threading.Thread(target=flood)
    t.start()
    server = listener.accept(timeout=10)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(LineTooLong) as info:
        server.recv_line(max_size=65536, timeout=10)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert info.value.limit == 65536
    # Buffered bytes are bounded by the limit plus one read, far below the 10 MiB sent.
    assert len(server._buf) <= 65536 + 262144
    assert after - before < 8 * 1024  # KiB: no 10 MB growth
    server.close()
    t.join(10)
    listener.close()
