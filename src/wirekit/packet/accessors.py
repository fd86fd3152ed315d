"""Field descriptors (lazy decode on read, dirty on write) and generated layer constructors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .field import AUTO, Field, FlagValue, flags_int, ip6_ntoa

if TYPE_CHECKING:  # pragma: no cover
    from .layer import Layer


class _FieldProp:
    """Descriptor for one field: decodes the header on first read, marks the layer dirty on write."""

    __slots__ = ("field", "i")

    def __init__(self, i: int, field: Field) -> None:
        self.i = i
        self.field = field

    def __get__(self, obj: Layer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.field
        v = obj._v
        if v is None:
            v = obj._materialize()
        return v[self.i]

    def __set__(self, obj: Layer, value: Any) -> None:
        v = obj._v
        if v is None:
            v = obj._materialize()
        v[self.i] = value
        obj._dirty = True

    def __delete__(self, obj: Layer) -> None:
        """``del pkt.chksum`` sets the field back to AUTO (recomputed on build)."""
        self.__set__(obj, AUTO)


class _IPv4Prop(_FieldProp):
    __slots__ = ()

    def __get__(self, obj: Layer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.field
        v = obj._v
        if v is None:
            v = obj._materialize()
        x = v[self.i]
        return f"{x[0]}.{x[1]}.{x[2]}.{x[3]}" if x.__class__ is bytes else x


class _IPv6Prop(_FieldProp):
    __slots__ = ()

    def __get__(self, obj: Layer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.field
        v = obj._v
        if v is None:
            v = obj._materialize()
        x = v[self.i]
        return ip6_ntoa(x) if x.__class__ is bytes else x


class _MACProp(_FieldProp):
    __slots__ = ()

    def __get__(self, obj: Layer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.field
        v = obj._v
        if v is None:
            v = obj._materialize()
        x = v[self.i]
        return x.hex(":") if x.__class__ is bytes else x


class _FlagsProp(_FieldProp):
    __slots__ = ("cls",)

    def __init__(self, i: int, field: Field) -> None:
        super().__init__(i, field)
        self.cls = type(
            "Flags_" + field.name, (FlagValue,), {"names": field.flags, "__slots__": ()}
        )

    def __get__(self, obj: Layer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self.field
        v = obj._v
        if v is None:
            v = obj._materialize()
        x = v[self.i]
        if isinstance(x, int):
            return self.cls(x)
        return self.cls(flags_int(x, self.field.flags or "")) if isinstance(x, str) else x


def _prop_for(i: int, f: Field) -> _FieldProp:
    if f.kind == "ip4":
        return _IPv4Prop(i, f)
    if f.kind == "ip6":
        return _IPv6Prop(i, f)
    if f.kind == "mac":
        return _MACProp(i, f)
    if f.flags is not None:
        return _FlagsProp(i, f)
    return _FieldProp(i, f)


def _make_init(cls: type[Layer]) -> Any:
    """A keyword-only ``__init__`` with one parameter per field: Python binds the arguments
    in C, which is most of the cost of constructing a layer the generic way."""
    env: dict[str, Any] = {"_unknown": _unknown_fields, "_cls": cls}
    params = []
    for i, f in enumerate(cls.fields_desc):
        env[f"_d{i}"] = f.default
        params.append(f"{f.name}=_d{i}")
    names = ", ".join(f.name for f in cls.fields_desc)
    src = (
        f"def __init__(self, *, {', '.join(params)}, **unknown):\n"
        "    if unknown:\n"
        "        _unknown(_cls, unknown)\n"
        f"    self._v = [{names}]\n"
        "    self._buf = None\n"
        "    self._pl = None\n"
        "    self._dirty = True\n"
        "    self._bnd = None\n"
    )
    exec(
        compile(src, f"<wirekit layer {cls.__name__}.__init__>", "exec"), env
    )  # generated from fields_desc
    init = env["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    init.__doc__ = f"Build a {cls.__name__}; fields: {names} (AUTO ones are computed on build)."
    return init


def _unknown_fields(cls: type[Layer], unknown: dict[str, Any]) -> None:
    known = ", ".join(cls._index)
    raise TypeError(f"{cls.__name__} has no field {next(iter(unknown))!r} (fields: {known})")
