"""Sans-IO FTP control channel (RFC 959, 2428, 3659, 4217): reply and command parsers, encoders.

Rules:

1. No I/O and no clock here: bytes in, events out. Drivers (``client.py``, ``server.py``) own
   the sockets.
2. ``receive_data`` and ``next_event`` raise only :class:`~wirekit.errors.RemoteProtocolError`
   subclasses (``DecodeError``, ``LineTooLong``) on bad peer input; a fuzz test checks it.
3. Paths travel as UTF-8 (RFC 2640 §2.2); undecodable bytes survive as surrogate escapes so a
   path is never silently changed.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass, field

from ..errors import DecodeError, LineTooLong, LocalProtocolError

__all__ = [
    "CLIENT_MAX_LINE",
    "PRE_LOGIN_COMMANDS",
    "SERVER_MAX_LINE",
    "BadCommand",
    "ClientConnection",
    "Command",
    "CommandParser",
    "Reply",
    "ReplyParser",
    "ServerConnection",
    "encode_command",
    "encode_reply",
    "format_eprt",
    "format_mdtm",
    "format_pasv",
    "format_port",
    "parse_227",
    "parse_229",
    "parse_257",
    "parse_eprt",
    "parse_mdtm",
    "parse_port",
]

#: Longest command line the server accepts (RFC 959 sets no limit; pyftpdlib uses 2048).
SERVER_MAX_LINE = 4096
#: Longest reply line the client accepts.
CLIENT_MAX_LINE = 65536
ENCODING = "utf-8"
ERRORS = "surrogateescape"


@dataclass(frozen=True)
class Reply:
    """A server reply: a three-digit ``code`` and its text ``lines`` (one per reply line)."""

    code: int
    lines: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """All lines joined by newlines."""
        return "\n".join(self.lines)

    @property
    def kind(self) -> int:
        """The first digit: 1 preliminary, 2 done, 3 more needed, 4 transient, 5 permanent."""
        return self.code // 100


@dataclass(frozen=True)
class Command:
    """A client command: upper-case ``verb`` and the raw argument text (may be empty)."""

    verb: str
    arg: str = ""


@dataclass(frozen=True)
class BadCommand:
    """A command line the server could not take (too long, empty, not UTF-8...): reply ``code``."""

    code: int
    reason: str


def _split_lines(buf: bytearray, max_line: int) -> tuple[list[bytes], bool]:
    """Pop complete CRLF/LF lines from ``buf``; report whether the incomplete rest is too long."""
    lines: list[bytes] = []
    start = 0
    while True:
        nl = buf.find(b"\n", start)
        if nl < 0:
            break
        end = nl - 1 if nl > start and buf[nl - 1] == 0x0D else nl
        lines.append(bytes(buf[start:end]))
        start = nl + 1
    if start:
        del buf[:start]
    return lines, len(buf) > max_line


class ReplyParser:
    """Client side: bytes from the server in, :class:`Reply` events out (multi-line aware).

    RFC 959 §4.2: a multi-line reply opens with ``ddd-`` and ends with a line ``ddd `` using the
    same code; lines in between may hold anything, including other digits.
    """

    def __init__(self, max_line: int = CLIENT_MAX_LINE) -> None:
        self._buf = bytearray()
        self._max_line = max_line
        self._pending: list[str] | None = None
        self._pending_code = 0
        self._events: list[Reply] = []
        self._offset = 0

    def receive_data(self, data: bytes) -> None:
        """Feed server bytes.

        Raises:
            DecodeError: a reply line is malformed.
            LineTooLong: a line exceeds ``max_line``.
        """
        self._buf += data
        lines, too_long = _split_lines(self._buf, self._max_line)
        for raw in lines:
            self._line(raw)
            self._offset += len(raw) + 2
        if too_long:
            raise LineTooLong(
                f"reply line longer than {self._max_line} bytes", limit=self._max_line
            )

    def _line(self, raw: bytes) -> None:
        text = raw.decode(ENCODING, ERRORS)
        if self._pending is not None:
            if len(text) >= 4 and text[:3] == str(self._pending_code) and text[3] == " ":
                self._pending.append(text[4:])
                self._events.append(Reply(self._pending_code, tuple(self._pending)))
                self._pending = None
            else:
                self._pending.append(text)
            return
        if len(raw) < 3 or not raw[:3].isdigit() or raw[0] not in b"12345":
            raise DecodeError(f"bad FTP reply line {raw[:40]!r}", offset=self._offset, layer="ftp")
        code = int(raw[:3])
        sep = text[3:4]
        if sep == "-":
            self._pending = [text[4:]]
            self._pending_code = code
        elif sep in (" ", ""):
            self._events.append(Reply(code, (text[4:],)))
        else:
            raise DecodeError(
                f"bad FTP reply separator {raw[:40]!r}", offset=self._offset, layer="ftp"
            )

    def next_event(self) -> Reply | None:
        """The next complete reply, or ``None`` if more bytes are needed."""
        if self._events:
            return self._events.pop(0)
        return None


class CommandParser:
    """Server side: bytes from the client in, :class:`Command` or :class:`BadCommand` events out.

    An over-long line does not end the session: its bytes are dropped up to the next newline
    and a ``BadCommand(500)`` is emitted, so the server can answer and keep serving.
    """

    def __init__(self, max_line: int = SERVER_MAX_LINE) -> None:
        self._buf = bytearray()
        self._max_line = max_line
        self._discarding = False
        self._events: list[Command | BadCommand] = []

    def receive_data(self, data: bytes) -> None:
        """Feed client bytes (never raises on bad input: bad lines become ``BadCommand``)."""
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self._max_line:
                    if not self._discarding:
                        self._events.append(BadCommand(500, "Command line too long."))
                        self._discarding = True
                    del self._buf[:]
                return
            raw = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._discarding:
                self._discarding = False
                continue
            if len(raw) > self._max_line:
                self._events.append(BadCommand(500, "Command line too long."))
                continue
            self._events.append(parse_command(raw))

    def next_event(self) -> Command | BadCommand | None:
        """The next parsed line, or ``None`` if more bytes are needed."""
        if self._events:
            return self._events.pop(0)
        return None

    @property
    def pending(self) -> int:
        """Parsed lines not yet taken."""
        return len(self._events)

    def take(self, verb: str) -> bool:
        """Remove the first queued ``verb`` command (out of order); whether there was one."""
        for i, ev in enumerate(self._events):
            if isinstance(ev, Command) and ev.verb == verb:
                del self._events[i]
                return True
        return False


def parse_command(raw: bytes) -> Command | BadCommand:
    """Parse one command line (without its newline) into a :class:`Command`.

    RFC 959 §5.3: ``verb SP arg``; verbs are case-insensitive. Telnet IAC sequences (sent by
    some clients before ABOR) are stripped. NUL bytes are refused (they would truncate paths).
    """
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if b"\xff" in raw:  # RFC 959 §4.1.3 Telnet IP/Synch before ABOR
        raw = bytes(b for b in raw if b < 0xF0)
    if b"\x00" in raw:
        return BadCommand(501, "NUL byte in command.")
    text = raw.decode(ENCODING, ERRORS)
    verb, _, arg = text.lstrip().partition(" ")
    if not verb:
        return BadCommand(500, "Empty command.")
    if not verb.isascii() or not verb.isalpha() or len(verb) > 8:
        return BadCommand(500, "Syntax error, command unrecognized.")
    return Command(verb.upper(), arg)


def encode_command(verb: str, arg: str = "") -> bytes:
    """One command line with CRLF.

    Raises:
        LocalProtocolError: the verb or argument contains CR, LF or NUL.
    """
    line = f"{verb} {arg}" if arg else verb
    if any(c in line for c in "\r\n\x00"):
        raise LocalProtocolError(f"FTP command may not contain CR, LF or NUL: {line!r}")
    return line.encode(ENCODING, ERRORS) + b"\r\n"


def encode_reply(code: int, text: str | list[str] | tuple[str, ...] = "") -> bytes:
    """A reply in wire form; several lines make a multi-line reply (RFC 959 §4.2).

    Inner lines are indented by one space so none can be mistaken for the final line.
    """
    lines = [text] if isinstance(text, str) else list(text)
    if not lines:
        lines = [""]
    if len(lines) == 1 and "\n" not in lines[0]:
        return f"{code} {lines[0]}\r\n".encode(ENCODING, ERRORS)
    flat: list[str] = []
    for line in lines:
        flat.extend(line.split("\n"))
    out = [f"{code}-{flat[0]}"]
    out.extend(f" {line}" for line in flat[1:-1])
    out.append(f"{code} {flat[-1]}")
    return ("\r\n".join(out) + "\r\n").encode(ENCODING, ERRORS)


# --- client machine ---------------------------------------------------------------------------


@dataclass
class ClientConnection:
    """The client's control channel: commands out, replies in (one outstanding at a time).

    ``send`` returns the bytes to write; ``receive_data``/``next_event`` yield :class:`Reply`.
    """

    max_line: int = CLIENT_MAX_LINE
    _parser: ReplyParser = field(init=False)

    def __post_init__(self) -> None:
        self._parser = ReplyParser(self.max_line)

    def send(self, verb: str, arg: str = "") -> bytes:
        """Bytes of one command.

        Raises:
            LocalProtocolError: CR/LF/NUL in the command.
        """
        return encode_command(verb, arg)

    def receive_data(self, data: bytes) -> None:
        """Feed server bytes.

        Raises:
            DecodeError: malformed reply.
        """
        self._parser.receive_data(data)

    def next_event(self) -> Reply | None:
        """The next reply, or ``None``."""
        return self._parser.next_event()


# --- server machine ---------------------------------------------------------------------------

#: Commands a client may send before it has logged in (RFC 959 §4.1.1, RFC 4217 §4, §8).
PRE_LOGIN_COMMANDS = frozenset(
    {"USER", "PASS", "QUIT", "FEAT", "SYST", "NOOP", "AUTH", "PBSZ", "PROT", "OPTS", "HELP"}
)
#: Commands that need an argument.
NEEDS_ARG = frozenset(
    {
        "USER",
        "RETR",
        "STOR",
        "APPE",
        "DELE",
        "MKD",
        "XMKD",
        "RMD",
        "XRMD",
        "RNFR",
        "RNTO",
        "SIZE",
        "MDTM",
        "CWD",
        "XCWD",
        "PORT",
        "EPRT",
        "REST",
        "TYPE",
        "AUTH",
        "PBSZ",
        "PROT",
        "MODE",
        "STRU",
        "SITE",
        "ALLO",
    }
)


@dataclass
class ServerConnection:
    """The server's control channel state: login gate, known verbs, argument checks.

    The driver feeds bytes, pulls events, and calls :meth:`gate` on each command: a
    ``Reply`` return is the refusal to send instead of running the command.
    """

    known: frozenset[str]
    max_line: int = SERVER_MAX_LINE
    logged_in: bool = False
    user: str | None = None
    _parser: CommandParser = field(init=False)

    def __post_init__(self) -> None:
        self._parser = CommandParser(self.max_line)

    def receive_data(self, data: bytes) -> None:
        """Feed client bytes (bad lines become :class:`BadCommand` events)."""
        self._parser.receive_data(data)

    def next_event(self) -> Command | BadCommand | None:
        """The next command line."""
        return self._parser.next_event()

    @property
    def pending(self) -> int:
        """Commands received but not yet taken (drivers pause reading when it grows)."""
        return self._parser.pending

    def take_abort(self) -> bool:
        """Pull a queued ABOR ahead of the queue (RFC 959 §4.1.3: it acts on the running transfer)."""
        return self.logged_in and self._parser.take("ABOR")

    def gate(self, cmd: Command) -> Reply | None:
        """The refusal for ``cmd`` in the current state, or ``None`` when it may run."""
        if cmd.verb not in self.known:
            return Reply(
                502, ("Command not implemented.",) if cmd.verb.isalpha() else ("Syntax error.",)
            )
        if not self.logged_in and cmd.verb not in PRE_LOGIN_COMMANDS:
            return Reply(530, ("Please login with USER and PASS.",))
        if cmd.verb in NEEDS_ARG and not cmd.arg.strip():
            return Reply(501, (f"{cmd.verb} needs an argument.",))
        if cmd.verb == "PASS" and self.user is None:
            return Reply(503, ("Login with USER first.",))
        return None

    def send(self, code: int, text: str | list[str] | tuple[str, ...] = "") -> bytes:
        """Bytes of one reply."""
        return encode_reply(code, text)


# --- argument formats -------------------------------------------------------------------------


def parse_227(text: str) -> tuple[str, int]:
    """Host and port from a PASV reply text ``Entering Passive Mode (h1,h2,h3,h4,p1,p2)``.

    Raises:
        DecodeError: no six numbers in range.
    """
    start = -1
    for i, ch in enumerate(text):
        if ch in "0123456789":
            start = i
            break
    if start < 0:
        raise DecodeError(f"no address in 227 reply {text!r}", layer="ftp")
    nums = []
    cur = ""
    for ch in text[start:]:
        if ch in "0123456789":
            cur += ch
        elif ch == "," and cur:
            nums.append(int(cur))
            cur = ""
        else:
            break
    if cur:
        nums.append(int(cur))
    if len(nums) != 6 or any(n > 255 for n in nums):
        raise DecodeError(f"bad address in 227 reply {text!r}", layer="ftp")
    return ".".join(map(str, nums[:4])), nums[4] * 256 + nums[5]


def parse_229(text: str) -> int:
    """Port from an EPSV reply text ``Entering Extended Passive Mode (|||port|)`` (RFC 2428 §3).

    Raises:
        DecodeError: no well-formed ``(dddport d)`` group.
    """
    lo, hi = text.find("("), text.rfind(")")
    if lo < 0 or hi <= lo + 4:
        raise DecodeError(f"bad 229 reply {text!r}", layer="ftp")
    inner = text[lo + 1 : hi]
    d = inner[0]
    parts = inner.split(d)
    if (
        len(parts) != 5
        or not parts[3].isascii()
        or not parts[3].isdigit()
        or not 0 < int(parts[3]) < 65536
    ):
        raise DecodeError(f"bad 229 reply {text!r}", layer="ftp")
    return int(parts[3])


def parse_257(text: str) -> str:
    """The quoted path of a 257 (MKD/PWD) reply; ``""`` inside quotes is one quote (RFC 959 App. II).

    Raises:
        DecodeError: no quoted path.
    """
    if not text.startswith('"'):
        raise DecodeError(f"no quoted path in 257 reply {text!r}", layer="ftp")
    out = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if text[i + 1 : i + 2] == '"':
                out.append('"')
                i += 2
                continue
            return "".join(out)
        out.append(ch)
        i += 1
    raise DecodeError(f"unterminated path in 257 reply {text!r}", layer="ftp")


def quote_257(path: str) -> str:
    """A path quoted for a 257 reply."""
    return '"' + path.replace('"', '""') + '"'


def format_pasv(host: str, port: int) -> str:
    """The 227 reply text for an IPv4 ``host`` and ``port``."""
    return f"Entering Passive Mode ({host.replace('.', ',')},{port >> 8},{port & 0xFF})."


def format_port(host: str, port: int) -> str:
    """A PORT argument ``h1,h2,h3,h4,p1,p2``."""
    return f"{host.replace('.', ',')},{port >> 8},{port & 0xFF}"


def parse_port(arg: str) -> tuple[str, int]:
    """Host and port from a PORT argument.

    Raises:
        DecodeError: not six numbers 0-255.
    """
    parts = arg.strip().split(",")
    if len(parts) != 6 or not all(
        p.strip().isascii() and p.strip().isdigit() and int(p) < 256 for p in parts
    ):
        raise DecodeError(f"bad PORT argument {arg!r}", layer="ftp")
    nums = [int(p) for p in parts]
    return ".".join(map(str, nums[:4])), nums[4] * 256 + nums[5]


def format_eprt(host: str, port: int) -> str:
    """An EPRT argument ``|1|host|port|`` or ``|2|host|port|`` (RFC 2428 §2)."""
    af = 2 if ":" in host else 1
    return f"|{af}|{host}|{port}|"


def parse_eprt(arg: str) -> tuple[str, int]:
    """Host and port from an EPRT argument (RFC 2428 §2).

    Raises:
        DecodeError: malformed, or an address that does not match its family.
    """
    arg = arg.strip()
    if len(arg) < 7:
        raise DecodeError(f"bad EPRT argument {arg!r}", layer="ftp")
    parts = arg.split(arg[0])
    if (
        len(parts) != 5
        or parts[1] not in ("1", "2")
        or not parts[3].isascii()
        or not parts[3].isdigit()
    ):
        raise DecodeError(f"bad EPRT argument {arg!r}", layer="ftp")
    try:
        addr = ipaddress.ip_address(parts[2])
    except ValueError:
        raise DecodeError(f"bad EPRT address {parts[2]!r}", layer="ftp") from None
    if addr.version != (4 if parts[1] == "1" else 6):
        raise DecodeError(f"EPRT family mismatch {arg!r}", layer="ftp")
    port = int(parts[3])
    if not 0 < port < 65536:
        raise DecodeError(f"bad EPRT port {arg!r}", layer="ftp")
    return str(addr), port


def format_mdtm(timestamp: float) -> str:
    """A UTC ``YYYYMMDDHHMMSS`` time-val (RFC 3659 §2.3) from a POSIX timestamp."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y%m%d%H%M%S")


def parse_mdtm(text: str) -> datetime.datetime:
    """A UTC datetime from an RFC 3659 time-val (fractional seconds allowed).

    Raises:
        DecodeError: not a time-val.
    """
    text = text.strip()
    main, _, frac = text.partition(".")
    if not text.isascii() or len(main) != 14 or not main.isdigit() or (frac and not frac.isdigit()):
        raise DecodeError(f"bad time-val {text!r}", layer="ftp")
    try:
        dt = datetime.datetime.strptime(main, "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        raise DecodeError(f"bad time-val {text!r}", layer="ftp") from None
    if frac:
        dt = dt.replace(microsecond=int((frac + "000000")[:6]))
    return dt
