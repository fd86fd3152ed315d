"""Safe little languages over packets: field filters (``tcp.dport == 80``) and craft
expressions (``Ether()/IPv4(dst="10.0.0.1")/TCP(flags="S")``). Parsed with ``ast`` against
a whitelist and compiled to closures; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from .layer import Layer
from .layers import DNSQR, DNSRR, LAYERS

#: filter names -> layer classes (lower-case, Wireshark-like)
ALIASES: dict[str, type[Layer]] = {
    "eth": LAYERS["Ether"],
    "vlan": LAYERS["Dot1Q"],
    "arp": LAYERS["ARP"],
    "ip": LAYERS["IPv4"],
    "ipv4": LAYERS["IPv4"],
    "ip6": LAYERS["IPv6"],
    "ipv6": LAYERS["IPv6"],
    "icmp": LAYERS["ICMP"],
    "icmp6": LAYERS["ICMPv6"],
    "icmpv6": LAYERS["ICMPv6"],
    "tcp": LAYERS["TCP"],
    "udp": LAYERS["UDP"],
    "dns": LAYERS["DNS"],
    "dhcp": LAYERS["DHCP"],
    "raw": LAYERS["Raw"],
    "sll": LAYERS["SLL"],
    "sll2": LAYERS["SLL2"],
    "frag6": LAYERS["IPv6Fragment"],
}
_MISSING: Any = object()
_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_BIN = {
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.RShift: operator.rshift,
    ast.Mod: operator.mod,
}

Getter = Callable[[Layer], Any]


def _err(node: ast.AST, what: str, text: str) -> ConfigError:
    return ConfigError(f"{what} at column {getattr(node, 'col_offset', 0) + 1} of {text!r}")


def compile_filter(text: str) -> Callable[[Layer], bool]:
    """A predicate from a field expression: ``tcp and tcp.dport == 80``, ``ip.src == "10.0.0.1"``,
    ``dns.qr == 1 or udp.sport in (53, 5353)``, ``tcp.flags & 2``. A missing layer's fields
    compare false.

    Raises:
        ConfigError: syntax outside the grammar (names the column).
    """
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"bad filter {text!r}: {exc.msg} (column {exc.offset})") from None

    def build(node: ast.AST) -> Getter:
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda p: all(_truthy(f(p)) for f in parts)
            return lambda p: any(_truthy(f(p)) for f in parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = build(node.operand)
            return lambda p: not _truthy(inner(p))
        if isinstance(node, ast.Compare):
            left = build(node.left)
            ops = [
                (_CMP[type(op)], build(c))
                for op, c in zip(node.ops, node.comparators, strict=True)
                if type(op) in _CMP
            ]
            if len(ops) != len(node.ops):
                raise _err(node, "unsupported comparison", text)

            def cmp(p: Layer) -> bool:
                a = left(p)
                for fn, g in ops:
                    b = g(p)
                    if a is _MISSING or b is _MISSING:
                        return False
                    try:
                        if not fn(a, b):
                            return False
                    except TypeError:
                        return False
                    a = b
                return True

            return cmp
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            fn = _BIN[type(node.op)]
            left, right = build(node.left), build(node.right)

            def binop(p: Layer) -> Any:
                a, b = left(p), right(p)
                if a is _MISSING or b is _MISSING:
                    return _MISSING
                try:
                    return fn(a, b)
                except TypeError:
                    return _MISSING

            return binop
        if isinstance(node, ast.Name):
            if node.id not in ALIASES:
                raise _err(node, f"unknown layer {node.id!r} (known: {', '.join(ALIASES)})", text)
            present = ALIASES[node.id]
            return lambda p: p.get(present) is not None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            cls = ALIASES.get(node.value.id)
            if cls is None:
                raise _err(
                    node, f"unknown layer {node.value.id!r} (known: {', '.join(ALIASES)})", text
                )
            name = node.attr
            if name not in cls._index and name not in ("payload_len",):
                raise _err(
                    node,
                    f"{node.value.id} has no field {name!r} (fields: {', '.join(cls._index)})",
                    text,
                )

            def field(p: Layer) -> Any:
                layer = p.get(cls)
                if layer is None:
                    return _MISSING
                return getattr(layer, name)

            return field
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str, bytes)):
            value = node.value
            return lambda p: value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [build(e) for e in node.elts]
            return lambda p: tuple(f(p) for f in items)
        raise _err(node, f"unsupported syntax {type(node).__name__}", text)

    pred = build(tree.body)
    return lambda p: _truthy(pred(p))


def _truthy(v: Any) -> bool:
    return v is not _MISSING and bool(v)


_VALUE_CALLS: dict[str, Callable[..., Any]] = {"DNSQR": DNSQR, "DNSRR": DNSRR}


def parse_craft(text: str) -> Layer:
    """Build a packet from an expression of layer constructors, ``/``, and literals.

    Raises:
        ConfigError: anything outside the whitelist, or a bad field.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"bad packet expression: {exc.msg} (column {exc.offset})") from None

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(
            node.value, (int, str, bytes, float, type(None))
        ):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [value(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return value(node.left) * value(node.right)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _VALUE_CALLS
        ):
            make: Any = _VALUE_CALLS[node.func.id]
            return make(
                *[value(a) for a in node.args],
                **{k.arg: value(k.value) for k in node.keywords if k.arg},
            )
        raise _err(node, f"only literals are allowed as values, not {type(node).__name__}", text)

    def layer(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return layer(node.left) / layer(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            cls = LAYERS.get(node.func.id)
            if cls is None:
                raise _err(
                    node,
                    f"unknown layer {node.func.id!r} (known: {', '.join(sorted(LAYERS))})",
                    text,
                )
            if node.args and cls.__name__ != "Raw":
                raise _err(node, f"{node.func.id}() takes field=value arguments only", text)
            kwargs = {k.arg: value(k.value) for k in node.keywords if k.arg}
            ctor: Any = cls
            try:
                return ctor(*[value(a) for a in node.args], **kwargs)
            except TypeError as exc:
                raise ConfigError(str(exc)) from None
        if isinstance(node, (ast.Constant, ast.BinOp)):
            v = value(node)
            if isinstance(v, str):
                v = v.encode()
            if isinstance(v, bytes):
                return v
        raise _err(node, f"unsupported syntax {type(node).__name__}", text)

    top = layer(tree.body)
    if isinstance(top, bytes):
        raw: Any = LAYERS["Raw"]
        return raw(top)  # type: ignore[no-any-return]
    return top  # type: ignore[no-any-return]
