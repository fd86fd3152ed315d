"""parse(build(x)) == x for the FTP control channel: replies, PASV/EPSV/PORT/EPRT, 257, MDTM, MLSD."""

from __future__ import annotations

import os
import stat

from hypothesis import given
from hypothesis import strategies as st
from strategies_ftp import file_names, ipv4, ports, reply_codes, reply_lines

from wirekit.ftp.listing import format_list, format_mlsd, parse_listing
from wirekit.ftp.protocol import (
    ReplyParser,
    encode_reply,
    format_eprt,
    format_mdtm,
    format_pasv,
    format_port,
    parse_227,
    parse_229,
    parse_257,
    parse_eprt,
    parse_mdtm,
    parse_port,
    quote_257,
)


@given(reply_codes, reply_lines, st.integers(1, 7))
def test_reply_round_trip(code: int, lines: list[str], step: int) -> None:
    wire = encode_reply(code, lines)
    p = ReplyParser()
    for i in range(0, len(wire), step):
        p.receive_data(wire[i : i + step])
    r = p.next_event()
    assert r is not None and r.code == code
    assert p.next_event() is None
    # inner lines gain one leading space on the wire (so none can end the reply early)
    got = list(r.lines)
    if len(lines) == 1:
        assert got == lines
    else:
        assert [got[0], *[g[1:] for g in got[1:-1]], got[-1]] == lines


@given(ipv4, ports)
def test_address_round_trips(host: str, port: int) -> None:
    assert parse_227(format_pasv(host, port)) == (host, port)
    assert parse_port(format_port(host, port)) == (host, port)
    assert parse_eprt(format_eprt(host, port)) == (host, port)
    assert parse_229(f"Entering Extended Passive Mode (|||{port}|)") == port


@given(
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
        max_size=50,
    )
)
def test_257_round_trip(path: str) -> None:
    assert parse_257(quote_257(path) + " created") == path


@given(st.integers(0, 4102444800))
def test_mdtm_round_trip(ts: int) -> None:
    assert parse_mdtm(format_mdtm(ts)).timestamp() == ts


@given(
    st.lists(
        st.tuples(file_names, st.integers(0, 2**40), st.booleans()),
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_listing_round_trip(items: list[tuple[str, int, bool]]) -> None:
    base = os.stat(".")
    entries = []
    for name, size, is_dir in items:
        mode = (stat.S_IFDIR | 0o755) if is_dir else (stat.S_IFREG | 0o644)
        st_ = os.stat_result((mode, 0, 0, 1, 0, 0, size, base.st_atime, 1700000000, base.st_ctime))
        entries.append((name, st_))
    mlsd = parse_listing("\r\n".join(format_mlsd(entries, frozenset({"read"}))), mlsd=True)
    assert [(e.name, e.is_dir, None if e.is_dir else e.size) for e in mlsd] == [
        (n, d, None if d else s) for n, s, d in items
    ]
    listed = parse_listing("\r\n".join(format_list(entries, 1700000000)), mlsd=False)
    assert [(e.name, e.is_dir, e.size) for e in listed] == [(n, d, s) for n, s, d in items]
