"""DHCPv4 (RFC 2131) over the BOOTP header (RFC 951), with options (RFC 2132)."""

from __future__ import annotations

from typing import Any

from ...errors import DecodeError
from ..field import Bytes, Int, IPv4Addr, Var, ip4_aton, ip4_ntoa
from ..layer import Layer

MAGIC = b"\x63\x82\x53\x63"
MESSAGE_TYPES = {
    1: "discover",
    2: "offer",
    3: "request",
    4: "decline",
    5: "ack",
    6: "nak",
    7: "release",
    8: "inform",
}
OPTION_NAMES = {
    1: "subnet_mask",
    3: "router",
    6: "name_server",
    12: "hostname",
    15: "domain",
    28: "broadcast_address",
    50: "requested_addr",
    51: "lease_time",
    53: "message-type",
    54: "server_id",
    55: "param_req_list",
    58: "renewal_time",
    59: "rebinding_time",
    61: "client_id",
}
_OPTION_CODES = {v: k for k, v in OPTION_NAMES.items()}
_ADDR1 = (1, 28, 50, 54)
_ADDRS = (3, 6)
_U32 = (51, 58, 59)
_TEXT = (12, 15)


def _opt_value(code: int, raw: bytes) -> Any:
    if code == 53 and len(raw) == 1:
        return raw[0]
    if code in _ADDR1 and len(raw) == 4:
        return ip4_ntoa(raw)
    if code in _ADDRS and raw and len(raw) % 4 == 0:
        return [ip4_ntoa(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    if code in _U32 and len(raw) == 4:
        return int.from_bytes(raw, "big")
    if code in _TEXT:
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            return raw
    if code == 55:
        return list(raw)
    return raw


def _opt_bytes(code: int, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if code == 53:
        return bytes(
            [value if isinstance(value, int) else {v: k for k, v in MESSAGE_TYPES.items()}[value]]
        )
    if code in _ADDR1:
        return ip4_aton(value)
    if code in _ADDRS:
        return b"".join(ip4_aton(a) for a in ([value] if isinstance(value, str) else value))
    if code in _U32:
        return int(value).to_bytes(4, "big")
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (list, tuple)):
        return bytes(value)
    return bytes([value])


class DHCP(Layer):
    """A BOOTP/DHCPv4 message. ``options`` is a list of (code or name, value), e.g.
    ``[("message-type", 1), ("param_req_list", [1, 3, 6])]``; values of common options are typed."""

    __slots__ = ()
    fields_desc = (
        Int("op", 1, "B", names={1: "BOOTREQUEST", 2: "BOOTREPLY"}),
        Int("htype", 1, "B"),
        Int("hlen", 6, "B"),
        Int("hops", 0, "B"),
        Int("xid", 0, "I", hex=True),
        Int("secs", 0, "H"),
        Int("flags", 0, "H", hex=True),
        IPv4Addr("ciaddr", "0.0.0.0"),
        IPv4Addr("yiaddr", "0.0.0.0"),
        IPv4Addr("siaddr", "0.0.0.0"),
        IPv4Addr("giaddr", "0.0.0.0"),
        Bytes("chaddr", 16),
        Bytes("sname", 64),
        Bytes("file", 128),
        Bytes("magic", 4, MAGIC),
        Var("options", ()),
    )

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < cls._fixed:
            raise DecodeError(
                f"DHCP needs {cls._fixed} bytes, {end - off} left",
                offset=off,
                layer="DHCP",
                truncated=True,
            )
        return end - off, end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        opts: list[tuple[Any, Any]] = []
        i = start
        while i < stop:
            code = buf[i]
            if code == 0:  # pad
                i += 1
                continue
            if code == 255:  # the end option is implied on build; bytes after it are kept as "pad"
                if stop > i + 1:
                    opts.append(("pad", buf[i + 1 : stop]))
                break
            if i + 2 > stop or i + 2 + buf[i + 1] > stop:
                opts.append(("bad", buf[i:stop]))
                break
            raw = buf[i + 2 : i + 2 + buf[i + 1]]
            opts.append((OPTION_NAMES.get(code, code), _opt_value(code, raw)))
            i += 2 + len(raw)
        return [opts]

    def _encode_var(self, v: list[Any]) -> bytes:
        out = b""
        pad = b""
        for name, value in v[15]:
            if name == "pad":
                pad += bytes(value)
            elif name == "bad":
                out += bytes(value)
            elif name != "end":
                code = _OPTION_CODES[name] if isinstance(name, str) else int(name)
                body = _opt_bytes(code, value)
                out += bytes([code, len(body)]) + body
        if [o for o in v[15] if o[0] not in ("pad", "bad")]:
            out += b"\xff"
        return out + pad

    def message_type(self) -> int | None:
        """The DHCP message type (option 53), or None for plain BOOTP."""
        for name, value in self.options:
            if name == "message-type" and isinstance(value, int):
                return value
        return None

    def describe(self, ip: Layer | None = None) -> str | None:
        mt = self.message_type()
        kind = MESSAGE_TYPES.get(mt, str(mt)) if mt is not None else "BOOTP"
        where = f"IP {ip.src} > {ip.dst}: " if ip is not None else ""
        return f"{where}DHCP {kind}, xid {self.xid:#x}"
