"""The agent's data source: a sorted tree of static values (pre-encoded) and callbacks, and views.

Rules:

1. Lookups are ``bisect`` over a sorted list of OID tuples; a static value's whole VarBind TLV
   is encoded once, so serving a walk is mostly ``b"".join``.
2. A callback entry calls ``getter()`` per request; ``setter(value)`` makes it writable.
3. The tree never raises on lookups: a missing OID is a v2 exception value.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .ber import encode_oid, tlv
from .values import (
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    ObjectIdentifier,
    SNMPValue,
    value_from_python,
)

__all__ = ["Entry", "MibTree", "View"]

Getter = Callable[[], Any]
Setter = Callable[[SNMPValue], None]


class Entry:
    """One OID's value: static (``value``) or computed (``getter``); writable with a ``setter``
    or when static and ``writable``."""

    __slots__ = ("encoded", "getter", "oid", "oid_tlv", "setter", "value", "writable")

    def __init__(
        self,
        oid: tuple[int, ...],
        value: SNMPValue | None,
        getter: Getter | None,
        setter: Setter | None,
        writable: bool,
    ) -> None:
        self.oid = oid
        self.value = value
        self.getter = getter
        self.setter = setter
        self.writable = writable or setter is not None
        self.oid_tlv = tlv(0x06, encode_oid(oid))
        self.encoded: bytes | None = None
        if value is not None and getter is None:
            self.encoded = tlv(0x30, self.oid_tlv + value.encode())

    def current(self) -> SNMPValue:
        """The value now (calls the getter for dynamic entries)."""
        if self.getter is not None:
            return value_from_python(self.getter())
        assert self.value is not None
        return self.value

    def varbind_bytes(self) -> bytes:
        """The VarBind TLV of the current value."""
        if self.encoded is not None:
            return self.encoded
        return tlv(0x30, self.oid_tlv + self.current().encode())

    def store(self, value: SNMPValue) -> None:
        """Write ``value`` (setter, or replace the static value)."""
        if self.setter is not None:
            self.setter(value)
            if self.getter is None:
                self.value = value
                self.encoded = tlv(0x30, self.oid_tlv + value.encode())
            return
        self.value = value
        self.encoded = tlv(0x30, self.oid_tlv + value.encode())


class MibTree:
    """OID -> value store with ordered successor lookup.

    ``tree[oid] = value`` (static), ``tree.register(oid, getter, setter)`` (dynamic).
    """

    def __init__(self, values: Iterable[tuple[Any, Any]] | dict[Any, Any] | None = None) -> None:
        self._entries: dict[tuple[int, ...], Entry] = {}
        self._keys: list[tuple[int, ...]] = []
        self._sorted = True
        self._aligned: list[Entry] | None = None
        if values is not None:
            items = values.items() if isinstance(values, dict) else values
            for oid, value in items:
                self.set(oid, value)

    @staticmethod
    def _key(oid: Any) -> tuple[int, ...]:
        from .mib import parse_oid

        return tuple(parse_oid(oid)) if not isinstance(oid, tuple) else tuple(oid)

    def set(self, oid: Any, value: Any, *, writable: bool = False) -> None:
        """Store a static value (plain Python values are typed by ``value_from_python``)."""
        key = self._key(oid)
        self._add(Entry(key, value_from_python(value), None, None, writable))

    __setitem__ = set

    def register(self, oid: Any, getter: Getter, setter: Setter | None = None) -> None:
        """A dynamic entry: ``getter()`` is called per request; ``setter`` makes it writable."""
        key = self._key(oid)
        self._add(Entry(key, None, getter, setter, setter is not None))

    def _add(self, entry: Entry) -> None:
        self._aligned = None
        if entry.oid not in self._entries:
            if self._sorted and self._keys and entry.oid < self._keys[-1]:
                self._sorted = False
            self._keys.append(entry.oid)
        self._entries[entry.oid] = entry

    def remove(self, oid: Any) -> None:
        """Drop an OID if present."""
        key = self._key(oid)
        if self._entries.pop(key, None) is not None:
            self._keys.remove(key)
            self._aligned = None

    def _order(self) -> list[tuple[int, ...]]:
        if not self._sorted:
            self._keys.sort()
            self._sorted = True
        return self._keys

    def ordered(self) -> tuple[list[tuple[int, ...]], list[Entry]]:
        """Sorted OIDs and their entries, aligned (rebuilt only after the tree changed)."""
        keys = self._order()
        if self._aligned is None or len(self._aligned) != len(keys):
            entries = self._entries
            self._aligned = [entries[k] for k in keys]
        return keys, self._aligned

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, oid: object) -> bool:
        return oid in self._entries

    def __getitem__(self, oid: Any) -> SNMPValue:
        return self._entries[self._key(oid)].current()

    def entry(self, oid: tuple[int, ...]) -> Entry | None:
        """The entry at exactly ``oid``."""
        return self._entries.get(oid)

    def missing(self, oid: tuple[int, ...]) -> SNMPValue:
        """noSuchInstance if a sibling instance of the same object exists, else noSuchObject."""
        keys = self._order()
        parent = oid[:-1]
        i = bisect.bisect_left(keys, oid)
        for j in (i - 1, i):
            if 0 <= j < len(keys) and keys[j][: len(parent)] == parent and len(keys[j]) == len(oid):
                return NO_SUCH_INSTANCE
        return NO_SUCH_OBJECT

    def next_index(self, oid: tuple[int, ...]) -> int:
        """Index of the first entry strictly after ``oid``."""
        return bisect.bisect_right(self._order(), oid)

    def at(self, index: int) -> Entry | None:
        """The entry at sorted position ``index`` (None past the end)."""
        keys = self._order()
        if index >= len(keys):
            return None
        return self._entries[keys[index]]

    def items(self) -> list[tuple[ObjectIdentifier, SNMPValue]]:
        """Every (oid, current value), in order."""
        return [(ObjectIdentifier(k), self._entries[k].current()) for k in self._order()]


@dataclass
class View:
    """A MIB view (RFC 3415 §5 in spirit): included subtrees minus excluded subtrees.

    ``View()`` includes everything.
    """

    included: list[tuple[int, ...]] = field(default_factory=lambda: [(1,)])
    excluded: list[tuple[int, ...]] = field(default_factory=list)

    @classmethod
    def of(cls, included: Iterable[Any] = ("1",), excluded: Iterable[Any] = ()) -> View:
        """A view from OIDs or names."""
        from .mib import parse_oid

        return cls([tuple(parse_oid(o)) for o in included], [tuple(parse_oid(o)) for o in excluded])

    @property
    def everything(self) -> bool:
        return self.included == [(1,)] and not self.excluded

    def allows(self, oid: tuple[int, ...]) -> bool:
        """True if ``oid`` is in the view."""
        for ex in self.excluded:
            if oid[: len(ex)] == ex:
                return False
        return any(oid[: len(inc)] == inc for inc in self.included)
