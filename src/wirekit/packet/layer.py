"""The Layer base class: lazy dissection, ``/`` stacking, building, show/summary/dict/JSON.

Rules of this module:

1. A parsed layer keeps the frame's bytes and its offset; its header is decoded with one
   ``struct.unpack_from`` the first time a field is read, and its payload layer is made
   only when asked for (``.payload``, ``pkt[TCP]``, ``TCP in pkt``).
2. A layer's own header must be whole, or it raises :class:`DecodeError` (``truncated`` says
   whether more bytes would have helped). A payload that fails to decode becomes a
   :class:`Raw` layer holding the rest of the bytes and the error (``raw.error``).
3. ``bytes(pkt)`` never changes ``pkt``. Fields left ``AUTO`` are computed on build; an
   untouched parsed packet builds to exactly the bytes it was parsed from.
4. Next-layer choice comes from a :class:`~wirekit.packet.bindings.Bindings` object; nothing
   global is mutated.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._util.hexdump import hexdump as _hexdump
from ..errors import DecodeError, LocalProtocolError
from .accessors import _make_init, _prop_for
from .field import AUTO, Compiled, Field, Var, compile_fields

if TYPE_CHECKING:  # pragma: no cover
    from .bindings import Bindings

L = TypeVar("L", bound="Layer")


class _Unset:
    __slots__ = ()


_UNSET: Any = _Unset()


def _default_bindings() -> Bindings:
    return _bindings.DEFAULT_BINDINGS


def _probe_refcounts() -> tuple[int, int]:
    """What ``sys.getrefcount`` reports, inside a binary operator, for a temporary operand and
    for an object reachable only through one attribute (measured, not assumed: it differs
    between CPython versions). Used by ``/`` to adopt temporaries instead of copying them."""

    class Probe:
        __slots__ = ("x",)
        x: Any

        def __truediv__(self, other: Any) -> int:
            return sys.getrefcount(self)

    temp = Probe() / 0
    holder = Probe()
    holder.x = Probe()
    inner = holder.x
    via_slot = sys.getrefcount(inner)
    del inner
    named = Probe()
    if (named / 0) != temp + 1:  # the runtime does not count references the way we expect
        return -1, -1
    return temp, via_slot


_getrefcount = sys.getrefcount
_new_object = object.__new__
#: (refcount of a temporary operand inside ``__truediv__``, of a slot-only object in a local)
_TEMP_REFS, _SLOT_REFS = _probe_refcounts()


class Layer:
    """Base of every protocol layer. Subclasses declare ``fields_desc``."""

    __slots__ = ("_bnd", "_buf", "_dirty", "_end", "_hl", "_off", "_pl", "_v")
    _bnd: Any  # Bindings | None
    _buf: Any  # bytes | None: set on parsed layers
    _dirty: bool
    _end: int
    _hl: int
    _off: int
    _pl: Any
    _v: list[Any] | None

    fields_desc: ClassVar[tuple[Field, ...]] = ()
    name: ClassVar[str] = "Layer"
    #: the field whose value selects the next layer through the bindings (None: no payload guess)
    bind_field: ClassVar[str | None] = None
    #: fields reset to AUTO by ``replace()`` (lengths, checksums)
    computed: ClassVar[tuple[str, ...]] = ()
    _byteorder: ClassVar[str] = "!"
    _c: ClassVar[Compiled]
    _fixed: ClassVar[int]
    _index: ClassVar[dict[str, int]]
    _defaults: ClassVar[list[Any]]
    _has_var: ClassVar[bool]
    _is_ip: ClassVar[bool] = False
    _plain_check: ClassVar[bool] = True
    _bind_at: ClassVar[tuple[int, int, Any] | None]

    if TYPE_CHECKING:  # fields are descriptors installed per subclass

        def __getattr__(self, name: str) -> Any: ...

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        fields = cls.fields_desc
        cls._c = compile_fields(fields, cls._byteorder, cls.__name__)
        cls._fixed = cls._c.struct.size
        cls._index = {f.name: i for i, f in enumerate(fields)}
        cls._defaults = [f.default for f in fields]
        cls._has_var = any(f.var for f in fields)
        cls._plain_check = cls._check.__func__ is Layer._check.__func__  # type: ignore[attr-defined]
        if "__init__" not in cls.__dict__ and fields:
            cls.__init__ = _make_init(cls)  # type: ignore[method-assign]
        for i, f in enumerate(fields):
            setattr(cls, f.name, _prop_for(i, f))
        cls._bind_at = None
        if cls.bind_field in cls._index:
            bi = cls._index[cls.bind_field or ""]
            if bi in cls._c.offsets:
                at, code = cls._c.offsets[bi]
                cls._bind_at = (bi, at, struct.Struct(cls._byteorder + code).unpack_from)

    # ---- construction --------------------------------------------------------------------

    def __init__(self, **fields: Any) -> None:
        v = self._defaults[:]
        if fields:
            idx = self._index
            for k, val in fields.items():
                try:
                    v[idx[k]] = val
                except KeyError:
                    known = ", ".join(idx)
                    raise TypeError(
                        f"{type(self).__name__} has no field {k!r} (fields: {known})"
                    ) from None
        self._v = v
        self._buf = None
        self._pl = None
        self._dirty = True
        self._bnd = None

    @classmethod
    def _from(cls: type[L], buf: bytes, off: int, end: int, bnd: Bindings) -> L:
        """A lazily decoded layer over ``buf[off:end]``.

        Raises:
            DecodeError: this layer's own header is truncated or malformed.
        """
        self = _new_object(cls)
        if cls._plain_check:  # fixed-size header: the check is a length test
            if end - off < cls._fixed:
                raise DecodeError(
                    f"{cls.name} header needs {cls._fixed} bytes, {end - off} left",
                    offset=off,
                    layer=cls.name,
                    truncated=True,
                )
            self._hl = cls._fixed
            self._end = end
        else:
            self._hl, self._end = cls._check(buf, off, end)
        self._buf = buf
        self._off = off
        self._v = None
        self._pl = _UNSET
        self._dirty = False
        self._bnd = bnd
        return self

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        """Validate the header at ``off``; return (header length, end of this layer's data).

        Raises:
            DecodeError: truncated or malformed header.
        """
        if end - off < cls._fixed:
            raise DecodeError(
                f"{cls.name} header needs {cls._fixed} bytes, {end - off} left",
                offset=off,
                layer=cls.name,
                truncated=True,
            )
        return cls._fixed, end

    @classmethod
    def parse(
        cls: type[L],
        data: bytes,
        *,
        linktype: int | None = None,
        bindings: Bindings | None = None,
        strict: bool = False,
    ) -> Layer:
        """Dissect ``data``. On :class:`Layer`/``Packet`` the first layer comes from ``linktype``
        (default Ethernet); on a subclass (``IPv4.parse(b)``) it is that class.

        By default a payload that does not decode becomes a :class:`Raw` layer holding the
        error; ``strict=True`` dissects every layer now and raises that error instead.

        Raises:
            DecodeError: the first layer's header (any layer's, with ``strict``) is truncated
                or malformed.
        """
        data = bytes(data)
        bnd = bindings if bindings is not None else _default_bindings()
        first: type[Layer]
        if cls is Layer:
            first = bnd.first_layer(1 if linktype is None else linktype, data)
        else:
            first = cls
        top = first._from(data, 0, len(data), bnd)
        if strict:
            for layer in top.layers():
                err = getattr(layer, "error", None)
                if err is not None:
                    raise err
        return top

    @classmethod
    def describe_fields(cls) -> str:
        """The field table of this layer: name, wire format and default (like Scapy's ``ls``)."""
        rows = []
        for f in cls.fields_desc:
            kind = f"{f.bits} bits" if f.bits else ("variable" if f.var else f"struct {f.fmt!r}")
            rows.append(f"{f.name:<16} {kind:<14} = {f.render(f.default)}")
        return "\n".join(rows)

    def _materialize(self) -> list[Any]:
        buf = self._buf
        off = self._off
        v = self._c.unpack(buf, off)  # only called on parsed layers (buf set)
        if self._has_var:
            v.extend(self._decode_var(buf, off + self._fixed, off + self._hl))
        self._v = v
        return v

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        """Values of the variable fields from ``buf[start:stop]`` (layers with Var fields)."""
        raise NotImplementedError

    def _encode_var(self, v: list[Any]) -> bytes:
        """Bytes of the variable fields (layers with Var fields)."""
        raise NotImplementedError

    # ---- payload and stacking -------------------------------------------------------------

    @property
    def payload(self) -> Layer | None:
        """The next layer (dissected on first access), or None."""
        pl = self._pl
        if pl is not _UNSET:
            return pl  # type: ignore[no-any-return]
        start = self._off + self._hl  # dissect the payload now (kept inline: this is the hot path)
        end = self._end
        if start >= end:
            self._pl = None
            return None
        nxt = self.next_layer() or Raw
        try:
            pl = self._pl = nxt._from(self._buf, start, end, self._bnd)
        except DecodeError as exc:
            pl = self._pl = Raw._from(self._buf, start, end, self._bnd)
            pl.error = exc
        return pl  # type: ignore[no-any-return]

    @payload.setter
    def payload(self, value: Layer | bytes | None) -> None:
        if isinstance(value, (bytes, bytearray)):
            value = Raw(load=bytes(value))
        self._pl = value
        self._dirty = True

    def next_layer(self) -> type[Layer] | None:
        """The class of the payload, chosen through the bindings from ``bind_field``."""
        bf = self.bind_field
        if bf is None:
            return None
        ba = self._bind_at
        if ba is not None:
            v = self._v
            key = ba[2](self._buf, self._off + ba[1])[0] if v is None else v[ba[0]]
        else:
            key = getattr(self, bf)
        table = (self._bnd or _bindings.DEFAULT_BINDINGS)._next.get(self.__class__)
        return table.get(key) if table is not None else None

    def layers(self) -> Iterator[Layer]:
        """This layer and every layer below it, outermost first."""
        layer: Layer | None = self
        while layer is not None:
            yield layer
            layer = layer.payload

    def __getitem__(self, cls: type[L]) -> L:
        for layer in self.layers():
            if isinstance(layer, cls):
                return layer
        raise KeyError(f"no {cls.__name__} layer in {self.summary()}")

    def get(self, cls: type[L]) -> L | None:
        """The first layer of type ``cls``, or None."""
        for layer in self.layers():
            if isinstance(layer, cls):
                return layer
        return None

    def __contains__(self, cls: type[Layer]) -> bool:
        return any(isinstance(layer, cls) for layer in self.layers())

    def copy(self: L) -> L:
        """A copy of this layer and all layers below it (parsed ones stay lazy where possible)."""
        new = type(self).__new__(type(self))
        v = self._v
        new._v = v[:] if v is not None else None
        new._buf = self._buf
        new._dirty = self._dirty
        new._bnd = self._bnd
        if self._buf is not None:
            new._off = self._off
            new._hl = self._hl
            new._end = self._end
        pl = self._pl
        new._pl = pl.copy() if isinstance(pl, Layer) else pl
        self._copy_extra(new)
        return new

    def _copy_extra(self, new: Any) -> None:
        """Copy subclass-specific slots (Raw's error)."""

    def __truediv__(self, other: Layer | bytes) -> Layer:
        # Stacking never changes an operand anyone else can see. A temporary operand (as in
        # ``Ether()/IPv4()/TCP()``) has no other reference, so it is adopted rather than
        # copied; that is what keeps crafting fast. Anything else is copied.
        if other.__class__ is bytes:
            other = Raw(other)
        elif isinstance(other, Layer):
            if _getrefcount(other) > _TEMP_REFS or (
                other._pl is not None and not other._exclusive()
            ):
                other = other.copy()
        elif isinstance(other, bytearray):
            other = Raw(bytes(other))
        else:
            return NotImplemented
        top = self.copy() if _getrefcount(self) > _TEMP_REFS else self
        last = top
        nxt = top._pl
        while nxt is not None:
            if nxt is _UNSET:
                nxt = last.payload
                if nxt is None:
                    break
            elif top is self and _getrefcount(nxt) > _SLOT_REFS:
                top = self.copy()  # someone else holds a layer of this chain: work on a copy
                last = top
                nxt = top._pl
                continue
            last = nxt
            nxt = last._pl
        last._pl = other
        last._dirty = True
        return top

    def _exclusive(self) -> bool:
        """True when every layer below this one is referenced only by the layer above it."""
        layer = self._pl
        while isinstance(layer, Layer):
            if sys.getrefcount(layer) > _SLOT_REFS:
                return False
            layer = layer._pl
        return True

    def __rtruediv__(self, other: bytes) -> Layer:
        if isinstance(other, (bytes, bytearray)):
            return Raw(load=bytes(other)) / self
        return NotImplemented

    # ---- building -------------------------------------------------------------------------

    def __bytes__(self) -> bytes:
        try:
            return self._build(None)
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise LocalProtocolError(self._explain(exc)) from None

    def build(self) -> bytes:
        """The wire bytes, with AUTO fields computed (the packet itself is not changed).

        Raises:
            LocalProtocolError: a field value cannot be encoded.
        """
        return self.__bytes__()

    def _clean(self) -> bool:
        layer: Layer | None = self
        while layer is not None:
            if layer._dirty or layer._buf is None:
                return False
            pl = layer._pl
            if pl is _UNSET:
                return True
            layer = pl
        return True

    def _build(self, ip: Layer | None) -> bytes:
        if self._buf is not None and self._clean():
            return bytes(self._buf[self._off : self._end])
        pl = self._pl
        if pl is _UNSET:
            pl = self.payload
        pay = pl._build(self if self._is_ip else ip) if pl is not None else b""
        return self.build_header(pay, ip) + pay

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        """This layer's header bytes given its built ``payload`` and the nearest IP layer above.

        Raises:
            LocalProtocolError: a field value cannot be encoded.
        """
        v = self._v
        if v is None:
            v = self._materialize()
        if AUTO in v:
            v = self.fill_auto(v[:], payload, ip)
        return self._pack(v)

    def _pack(self, v: list[Any]) -> bytes:
        if self._has_var:
            return self._c.pack(v) + self._encode_var(v)
        return self._c.pack(v)

    def _explain(self, exc: Exception) -> str:
        """Name the layer and field a failed build tripped on (the slow path of an error)."""
        for layer in self.layers():
            for f in layer.fields_desc:
                val = getattr(layer, f.name)
                if f.var or val is AUTO:
                    continue
                try:
                    one = layer.copy()
                    one._pl = None
                    v = one._v if one._v is not None else one._materialize()
                    v[:] = [
                        val if g is f else (0 if not g.var and g.kind == "int" else g.default)
                        for g in layer.fields_desc
                    ]
                    for k in range(len(v)):
                        if v[k] is AUTO:
                            v[k] = 0
                    one._c.pack(v)
                except Exception:
                    return f"{layer.name}.{f.name}: cannot encode {val!r} ({exc})"
        return f"cannot build packet: {exc}"

    def fill_auto(self, v: list[Any], payload: bytes, ip: Layer | None) -> list[Any]:
        """Replace AUTO values in ``v`` (a copy) before packing; layers override this."""
        bf = self.bind_field
        if bf is not None:
            i = self._index[bf]
            if v[i] is AUTO:
                v[i] = self._bind_value()
        return v

    def _bind_value(self) -> int:
        pl = self._pl
        if pl is _UNSET:
            pl = self.payload
        value = (
            (self._bnd or _bindings.DEFAULT_BINDINGS).value_for(type(self), type(pl))
            if pl is not None
            else None
        )
        return 0 if value is None else value

    # ---- values, comparison, export -------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        """This layer's field values (AUTO where not yet computed)."""
        return {f.name: getattr(self, f.name) for f in self.fields_desc}

    def filled(self) -> Layer:
        """A parsed copy of the built bytes: every AUTO field has its computed value.

        Raises:
            LocalProtocolError: a field value cannot be encoded.
        """
        return type(self).parse(bytes(self), bindings=self._bnd)

    def replace(self, **changes: Any) -> Layer:
        """A copy with fields changed, on the first layer having each field; lengths and
        checksums of every layer are reset to AUTO unless given.

        Raises:
            TypeError: no layer has one of the fields.
        """
        top = self.copy()
        todo = dict(changes)
        for layer in top.layers():
            v = layer._v if layer._v is not None else layer._materialize()
            for name in layer.computed:
                if name not in changes:
                    v[layer._index[name]] = AUTO
            for name in list(todo):
                if name in layer._index:
                    v[layer._index[name]] = todo.pop(name)
            layer._dirty = True
        if todo:
            raise TypeError(f"no layer has field(s) {', '.join(todo)}")
        return top

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        a = [type(x) for x in self.layers()]
        b = [type(x) for x in other.layers()]
        return a == b and bytes(self) == bytes(other)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> list[dict[str, Any]]:
        """One dict per layer: ``{"layer": name, field: value, ...}`` (JSON-ready values)."""
        out = []
        for layer in self.layers():
            d: dict[str, Any] = {"layer": layer.name}
            for k, val in layer.fields().items():
                d[k] = _jsonable(val)
            err = getattr(layer, "error", None)
            if err is not None:
                d["error"] = str(err)
            out.append(d)
        return out

    def to_json(self) -> list[dict[str, Any]]:
        return self.to_dict()

    def dumps(self, **kw: Any) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kw)

    def show(self, *, file: Any = None) -> str:
        """A layered tree of every field (returned, and printed when ``file`` is given)."""
        lines = []
        for depth, layer in enumerate(self.layers()):
            pad = "  " * depth
            lines.append(f"{pad}###[ {layer.name} ]###")
            width = max((len(f.name) for f in layer.fields_desc), default=0)
            for f, val in zip(layer.fields_desc, layer.fields().values(), strict=True):
                lines.append(f"{pad}  {f.name:<{width}} = {f.render(val)}")
            err = getattr(layer, "error", None)
            if err is not None:
                lines.append(f"{pad}  !! {err}")
        text = "\n".join(lines)
        if file is not None:
            print(text, file=file)
        return text

    def hexdump(self) -> str:
        """Hexdump of the built bytes."""
        return _hexdump(bytes(self))

    def describe(self, ip: Layer | None = None) -> str | None:
        """A tcpdump-like line for this layer given the nearest IP layer above (None: none)."""
        return None

    def quotes(self) -> bool:
        """True when this layer's payload is a quoted packet (ICMP errors)."""
        return False

    def summary(self) -> str:
        """One line, tcpdump-like: the most specific description any layer gives."""
        parts = []
        ip: Layer | None = None
        top = self if self._buf is not None and self._clean() else self.filled()
        for layer in top.layers():
            d = layer.describe(ip)
            if d:
                parts.append(d)
            if layer.quotes():  # an ICMP error: what follows is the quoted packet, not ours
                break
            if layer._is_ip:
                ip = layer
        if not parts:
            return " / ".join(layer.name for layer in top.layers())
        return parts[-1]

    def __repr__(self) -> str:
        parts = []
        for layer in self.layers():
            fs = " ".join(
                f"{k}={val!r}"
                for k, val in layer.fields().items()
                if not (isinstance(val, (bytes, tuple, list)) and len(val) > 24)
            )
            parts.append(f"<{layer.name} {fs}>" if fs else f"<{layer.name}>")
        return " / ".join(parts)

    def __len__(self) -> int:
        return len(bytes(self))


def _jsonable(val: Any) -> Any:
    if val is AUTO:
        return None
    if isinstance(val, (bytes, bytearray)):
        return val.hex()
    if isinstance(val, (list, tuple)):
        return [_jsonable(x) for x in val]
    if hasattr(val, "to_dict"):
        return val.to_dict()
    if isinstance(val, int):
        return int(val)
    return val


#: ``Packet.parse(data, linktype=...)`` reads better at the top level.
Packet = Layer


class Raw(Layer):
    """Bytes with no further structure; ``error`` holds why a payload was not decoded."""

    __slots__ = ("error",)

    fields_desc = (Var("load", b""),)

    def __init__(self, load: bytes = b"") -> None:
        self._v = [bytes(load)]
        self._buf = None
        self._pl = None
        self._dirty = True
        self._bnd = None
        self.error: DecodeError | None = None

    @classmethod
    def _from(cls, buf: bytes, off: int, end: int, bnd: Bindings) -> Raw:
        self = super()._from(buf, off, end, bnd)
        self.error = None
        return self

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        return end - off, end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        return [buf[start:stop]]

    def _encode_var(self, v: list[Any]) -> bytes:
        return bytes(v[0])

    def _build(self, ip: Layer | None) -> bytes:
        pl = self._pl
        if pl is None or pl is _UNSET:
            v = self._v
            if v is None:
                return bytes(self._buf[self._off : self._end])
            load = v[0]
            return load if load.__class__ is bytes else bytes(load)
        return super()._build(ip)

    def _copy_extra(self, new: Any) -> None:
        new.error = getattr(self, "error", None)


from . import bindings as _bindings  # noqa: E402 - bindings imports the layers, which import this module
