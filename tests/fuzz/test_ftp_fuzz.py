"""Fuzz smoke for FTP: the parsers accept or raise RemoteProtocolError (nothing else), and the
live server answers every random command line with a well-formed reply and keeps serving."""

from __future__ import annotations

import datetime
import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirekit.errors import RemoteProtocolError
from wirekit.ftp.listing import parse_list_line, parse_listing, parse_mlsx_line
from wirekit.ftp.protocol import (
    BadCommand,
    Command,
    CommandParser,
    ReplyParser,
    ServerConnection,
    parse_227,
    parse_229,
    parse_257,
    parse_eprt,
    parse_mdtm,
    parse_port,
)
from wirekit.lab.service import LabService

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@given(st.lists(st.binary(max_size=200), max_size=8))
def test_reply_parser_contract(chunks: list[bytes]) -> None:
    p = ReplyParser(max_line=512)
    try:
        for c in chunks:
            p.receive_data(c)
            while p.next_event() is not None:
                pass
    except RemoteProtocolError:
        pass


@given(st.lists(st.binary(max_size=300), max_size=8))
def test_command_parser_never_raises(chunks: list[bytes]) -> None:
    p = CommandParser(max_line=128)
    m = ServerConnection(known=frozenset({"USER", "PASS", "RETR", "LIST"}))
    for c in chunks:
        p.receive_data(c)
        while (ev := p.next_event()) is not None:
            assert isinstance(ev, (Command, BadCommand))
            if isinstance(ev, Command):
                r = m.gate(ev)
                assert r is None or 500 <= r.code < 600


@given(st.text(max_size=120))
def test_argument_parsers_contract(text: str) -> None:
    for parse in (
        parse_227,
        parse_229,
        parse_257,
        parse_eprt,
        parse_port,
        parse_mdtm,
        parse_mlsx_line,
    ):
        try:
            parse(text)  # type: ignore[operator]
        except RemoteProtocolError:
            pass
    parse_list_line(text, NOW)  # returns None for what it cannot read
    try:
        parse_listing(text, mlsd=True)
    except RemoteProtocolError:
        pass
    parse_listing(text, mlsd=False, now=NOW)


VERBS = [
    "USER",
    "PASS",
    "NOOP",
    "SYST",
    "FEAT",
    "OPTS",
    "HELP",
    "TYPE",
    "MODE",
    "STRU",
    "ALLO",
    "STAT",
    "PBSZ",
    "PROT",
    "PWD",
    "XPWD",
    "CWD",
    "CDUP",
    "REST",
    "SIZE",
    "MDTM",
    "MLST",
    "DELE",
    "MKD",
    "RMD",
    "RNFR",
    "RNTO",
    "ABOR",
    "SITE",
    "RETR",
    "STOR",
    "LIST",
    "MLSD",
    "XYZZ",
    "",
]  # no PASV/EPSV/PORT/EPRT/AUTH/QUIT: those change the connection, covered by unit tests
ARGS = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "/",
            "..",
            "../..",
            "/etc/passwd",
            "pub",
            "pub/hello.txt",
            "A",
            "I",
            "-la",
            "0",
            "99999999999",
            "UTF8 ON",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
        max_size=40,
    ),
)
LINES = st.lists(st.tuples(st.sampled_from(VERBS), ARGS), min_size=1, max_size=12)


def _reply(f: object) -> int:
    line = f.readline()  # type: ignore[attr-defined]
    assert line[:3].isdigit() and line[3:4] in (b" ", b"-"), line
    if line[3:4] == b"-":
        while True:
            more = f.readline()  # type: ignore[attr-defined]
            assert more, "connection closed inside a multi-line reply"
            if more[:4] == line[:3] + b" ":
                break
    return int(line[:3])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=LINES, login=st.booleans())
def test_server_state_machine_survives_random_sessions(
    ftp_server: LabService, lines: list[tuple[str, str]], login: bool
) -> None:
    e = ftp_server.info.extra
    with socket.create_connection((e["host"], e["port"]), timeout=20) as s, s.makefile("rb") as f:
        assert _reply(f) == 220
        if login:
            s.sendall(b"USER wirekit\r\nPASS wirekit\r\n")
            assert _reply(f) == 331
            assert _reply(f) == 230
        for verb, arg in lines:
            line = f"{verb} {arg}" if arg else verb
            s.sendall(line.encode("utf-8", "surrogateescape") + b"\r\n")
            code = _reply(f)
            assert 200 <= code < 600
            if code == 150:  # RETR/LIST without a data connection set up
                raise AssertionError("transfer started without PASV/PORT")
        s.sendall(b"NOOP\r\n")
        assert _reply(f) == 200
