"""Record framing for the columnar decoder: find every frame of a pcap or pcapng buffer in batches.

Rules of this module:

1. The only per-record Python work is following the chain of record lengths (a record's
   start depends on every length before it). Everything else (timestamps, lengths, link
   types, interface ids) is gathered afterwards with one vectorised read per batch.
2. A record that runs past the end of the buffer ends the scan: every whole record is
   returned and :attr:`Scan.truncated` says where the cut was. Nothing here raises for bad
   record contents; only an unreadable file header is a :class:`DecodeError`.
3. pcapng interfaces are global across sections: interface ``i`` of section ``s`` gets the
   id ``first_iface_of_section[s] + i`` (the same numbering as tshark's ``frame.interface_id``).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DecodeError

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
SHB = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
IDB, OPB, SPB, EPB = 1, 2, 3, 6
IF_TSRESOL, IF_TSOFFSET = 9, 14
#: a record longer than this is corruption, not a packet (libpcap's own limit is 256 KiB)
MAX_RECORD = 1 << 26

U8 = np.uint8
#: frame bytes gathered with each classic pcap record header (one gather serves the
#: record header and every fixed-offset header field of the frame)
HEAD = 96


@dataclass
class Frames:
    """One batch of frames: where each frame's bytes start in the buffer, and its metadata."""

    pos: np.ndarray  #: int64 offset of the frame's first byte in the buffer
    caplen: np.ndarray  #: int64 bytes captured
    length: np.ndarray  #: int64 bytes on the wire
    ts_ns: np.ndarray  #: int64 ns since the epoch
    ts_valid: np.ndarray | None  #: bool, or None when every frame has a timestamp
    linktype: np.ndarray  #: int64 link-layer header type
    interface: np.ndarray  #: int64 pcapng interface id (0 for classic pcap)
    #: contiguous (n, skip + HEAD) uint8 whose row i holds frame i's first HEAD bytes from
    #: column ``skip`` (zero past the buffer; bytes past the captured length belong to the
    #: next record), or None when the decoder gathers them itself
    block: np.ndarray | None = None
    skip: int = 0


@dataclass
class Scan:
    """State of one scan, read by the caller after the batches are exhausted."""

    fmt: str = ""
    truncated_at: int | None = None  #: offset of a record cut short by the end of the file
    corrupt_at: int | None = None  #: offset of a record header that cannot be right
    frames: int = 0
    interfaces: list[tuple[int, int, int]] = field(
        default_factory=list
    )  #: (linktype, tsresol, tsoffset)


def gather(buf: np.ndarray, pos: np.ndarray, width: int) -> Any:
    """``width`` bytes from ``buf`` at every offset in ``pos``, as an (n, width) uint8 array.

    Bytes past the end of ``buf`` read as zero. One vectorised copy of fixed-size items over
    an overlapping (stride 1) view of the buffer: much cheaper than one gather per field.
    """
    n = len(pos)
    size = buf.shape[0]
    if n == 0:
        return np.zeros((0, width), U8)
    if size >= width:
        view = np.ndarray((size - width + 1,), dtype=f"V{width}", buffer=buf, strides=(1,))
        ok = pos <= size - width
        if bool(ok.all()):
            return view[pos].view(U8).reshape(n, width)
        out = np.zeros(n, dtype=f"V{width}")
        out[ok] = view[pos[ok]]
        block = out.view(U8).reshape(n, width)
    else:
        ok = np.zeros(n, bool)
        block = np.zeros((n, width), U8)
    for i in np.flatnonzero(~ok).tolist():
        p = int(pos[i])
        tail = buf[p : p + width]
        block[i, : tail.shape[0]] = tail
    return block


def _arr(a: array[int]) -> np.ndarray:
    return np.frombuffer(a, dtype=np.int64) if len(a) else np.zeros(0, np.int64)


def detect(buf: np.ndarray) -> str:
    """``"pcap"`` or ``"pcapng"`` from the first bytes of ``buf``.

    Raises:
        DecodeError: neither format.
    """
    if buf.shape[0] < 4:
        raise DecodeError(
            "file too short to be a capture", offset=0, layer="capture", truncated=True
        )
    head = bytes(buf[:4])
    le, be = struct.unpack("<I", head)[0], struct.unpack(">I", head)[0]
    if le == SHB:
        return "pcapng"
    if le in (MAGIC_US, MAGIC_NS) or be in (MAGIC_US, MAGIC_NS):
        return "pcap"
    raise DecodeError(f"not a pcap or pcapng file (magic {head.hex()})", offset=0, layer="capture")


def scan(buf: np.ndarray, batch: int, state: Scan) -> Iterator[Frames]:
    """Yield the frames of a pcap or pcapng buffer, ``batch`` at a time.

    Raises:
        DecodeError: not a capture file, or its file header is cut short.
    """
    state.fmt = detect(buf)
    if state.fmt == "pcap":
        yield from _scan_pcap(buf, batch, state)
    else:
        yield from _scan_pcapng(buf, batch, state)


# -- classic pcap ------------------------------------------------------------------------------


def _scan_pcap(buf: np.ndarray, batch: int, state: Scan) -> Iterator[Frames]:
    size = buf.shape[0]
    if size < 24:
        raise DecodeError(
            "file too short for a pcap header", offset=0, layer="pcap", truncated=True
        )
    head = bytes(buf[:24])
    bo = "<" if struct.unpack("<I", head[:4])[0] in (MAGIC_US, MAGIC_NS) else ">"
    magic, _, _, _, _, _snaplen, network = struct.unpack(bo + "IHHiIII", head)
    mult = 1 if magic == MAGIC_NS else 1000
    linktype = network & 0x0FFFFFFF  # the top bits may carry the FCS length (pcap spec §4)
    state.interfaces = [(linktype, 9 if mult == 1 else 6, 0)]
    hdr = np.dtype(
        [
            ("sec", bo + "u4"),
            ("frac", bo + "u4"),
            ("cap", bo + "u4"),
            ("orig", bo + "u4"),
            ("data", f"V{HEAD}"),
        ]
    )
    pending: list[np.ndarray] = []
    have = 0
    for starts in _pcap_starts(buf, bo, state):
        pending.append(starts)
        have += starts.shape[0]
        while have >= batch or (have and starts.shape[0] == 0):
            allst = np.concatenate(pending) if len(pending) > 1 else pending[0]
            rec, rest = allst[:batch], allst[batch:]
            pending = [rest] if rest.shape[0] else []
            have = rest.shape[0]
            yield _pcap_frames(buf, rec, hdr, mult, linktype, state)
    if have:
        yield _pcap_frames(buf, np.concatenate(pending), hdr, mult, linktype, state)


def _pcap_frames(
    buf: np.ndarray, rec: np.ndarray, hdr: Any, mult: int, linktype: int, state: Scan
) -> Frames:
    raw = gather(buf, rec, 16 + HEAD)
    h = raw.reshape(-1).view(hdr)
    n = rec.shape[0]
    state.frames += n
    return Frames(
        pos=rec + 16,
        caplen=h["cap"].astype(np.int64),
        length=h["orig"].astype(np.int64),
        ts_ns=h["sec"].astype(np.int64) * 1_000_000_000 + h["frac"].astype(np.int64) * mult,
        ts_valid=None,
        linktype=np.full(n, linktype, np.int64),
        interface=np.zeros(n, np.int64),
        block=raw,
        skip=16,
    )


#: bytes per lockstep window, per segment, and probed for a segment's first record
WINDOW = 1 << 24
SEGMENT = 1 << 16
PROBE = 2048
#: a chain spanning more segments than this (few syncs found) is walked in Python instead
MAX_SPAN = 8
#: when this few chains are still walking, the rest of each is walked in Python
STRAGGLERS = 12
#: a lockstep walk taking more steps than this gives up (zero-length blocks)
MAX_STEPS = 1 << 16


def _pcap_starts(buf: np.ndarray, bo: str, state: Scan) -> Iterator[np.ndarray]:
    """Record offsets of a classic pcap buffer, window by window; an empty array ends it."""
    size = buf.shape[0]
    mv = buf.data
    cap_of = struct.Struct(bo + "I").unpack_from
    native = (bo == "<") == (sys.byteorder == "little")
    views = [mv[k : k + (size - k) // 4 * 4].cast("I") for k in range(4)] if native else []
    pos = 24
    try:
        while True:
            if size - pos > WINDOW + (1 << 17):
                got = _lockstep(buf, pos, pos + WINDOW, bo)
                if got is not None:
                    starts, pos = got
                    yield starts
                    continue
            starts, pos, done = _walk(mv, views, cap_of, pos, min(size, pos + WINDOW), size)
            yield starts
            if done:
                break
        yield np.zeros(0, np.int64)
    finally:
        for v in views:
            v.release()
    hlim = size - 16
    if pos <= hlim and cap_of(mv, pos + 8)[0] > MAX_RECORD:
        state.corrupt_at = pos
    elif pos < size:
        state.truncated_at = pos


def _walk(
    mv: Any, views: list[Any], cap_of: Any, pos: int, stop: int, size: int
) -> tuple[np.ndarray, int, bool]:
    """Follow the record chain in Python from ``pos`` until a record starts at or after
    ``stop``; returns (starts, next position, reached the end of the buffer)."""
    starts: array[int] = array("q")
    add = starts.append
    try:
        # The hot loop: one record per iteration. A header cut by the end of the buffer
        # raises IndexError; a record whose data is cut is caught below.
        if views:
            while pos < stop:
                q = pos + 8
                nxt = pos + 16 + views[q & 3][q >> 2]
                add(pos)
                pos = nxt
        else:
            while pos < stop:
                nxt = pos + 16 + cap_of(mv, pos + 8)[0]
                add(pos)
                pos = nxt
    except (IndexError, struct.error):
        pass
    done = pos >= size or pos + 16 > size
    if starts:
        last = starts[-1]
        cap = cap_of(mv, last + 8)[0] if last + 12 <= size else 0
        if last + 16 > size or last + 16 + cap > size or cap > MAX_RECORD:
            starts.pop()
            pos = last
            done = True
    return _arr(starts), pos, done


def _lockstep(
    buf: np.ndarray, start: int, end: int, bo: str, ng: bool = False
) -> tuple[np.ndarray, int] | None:
    """Record offsets from ``start`` (a record) to the first record at or after ``end``,
    found by walking many segments' chains at once with numpy.

    ``ng``: the records are pcapng blocks (length at +4, the whole block), and only
    Enhanced Packet Blocks are accepted: any other block in the window (a new section or
    interface, statistics) returns None so the Python scan handles it.

    Each segment's first record is guessed from plausible header bytes (timestamp near the
    window's first record, lengths in range); each chain is checked against the landing
    point of the chain before it, and a wrong guess is re-walked in Python. Returns None
    when too few segments sync (then the caller walks the window in Python).
    """
    size = buf.shape[0]
    mv = buf.data
    cap_of = struct.Struct(bo + "I").unpack_from
    len_at, extra = (4, 0) if ng else (8, 16)
    nseg = (end - start) // SEGMENT
    if nseg < 4 or end + PROBE + 32 > size:
        return None
    # Plausibility of a record header at every probed offset (pcap spec: ts_sec, ts_frac,
    # incl_len, orig_len), read byte-wise from a strided view of the segment heads.
    heads = np.lib.stride_tricks.as_strided(
        buf[start + SEGMENT :], shape=(nseg - 1, PROBE + 16), strides=(SEGMENT, 1)
    )
    first = bytes(buf[start : start + 16])

    def probe(h: np.ndarray, J: int) -> Any:
        """Plausible header starts among the first ``J`` offsets of each row of ``h``."""
        if ng:  # an EPB: type 6, a total length that is a multiple of 4 and below 64 KiB
            if bo == "<":
                ok = (h[:, 0:J] == EPB) & (h[:, 1 : 1 + J] == 0) & (h[:, 2 : 2 + J] == 0)
                ok &= (h[:, 3 : 3 + J] == 0) & (h[:, 6 : 6 + J] == 0) & (h[:, 7 : 7 + J] == 0)
                ok &= (h[:, 4 : 4 + J] & 3) == 0
            else:
                ok = (h[:, 3 : 3 + J] == EPB) & (h[:, 0:J] == 0) & (h[:, 1 : 1 + J] == 0)
                ok &= (h[:, 2 : 2 + J] == 0) & (h[:, 4 : 4 + J] == 0) & (h[:, 5 : 5 + J] == 0)
                ok &= (h[:, 7 : 7 + J] & 3) == 0
            return ok
        if bo == "<":
            ok = (h[:, 3 : 3 + J] == first[3]) & (h[:, 2 : 2 + J] == first[2])
            ok &= (h[:, 11 : 11 + J] == 0) & (h[:, 15 : 15 + J] == 0) & (h[:, 7 : 7 + J] < 0x40)
        else:
            ok = (h[:, 0:J] == first[0]) & (h[:, 1 : 1 + J] == first[1])
            ok &= (h[:, 8 : 8 + J] == 0) & (h[:, 12 : 12 + J] == 0) & (h[:, 4 : 4 + J] < 0x40)
        return ok

    # Most segments sync within a few hundred bytes: probe short, then long for the rest.
    short = min(PROBE, 512)
    ok = np.zeros((nseg - 1, PROBE), bool)
    ok[:, :short] = probe(heads[:, : short + 16], short)
    miss = np.flatnonzero(~ok[:, :short].any(axis=1))
    if miss.shape[0] and short < PROBE:
        ok[miss] = probe(heads[miss], PROBE)
    hit = ok.any(axis=1)
    where = ok.argmax(axis=1)
    syncs = [start]
    bounds = []
    hi = first[0:4]
    hi_word = cap_of(first, 0)[0]  # ts_sec of the window's first record (pcap)

    def plausible(p: int) -> bool:
        if p + 16 > size:
            return False
        if ng:
            btype, blen = cap_of(mv, p)[0], cap_of(mv, p + 4)[0]
            return bool(
                btype == EPB
                and blen % 4 == 0
                and 32 <= blen <= MAX_RECORD
                and p + blen <= size
                and cap_of(mv, p + blen - 4)[0] == blen
            )
        h = bytes(buf[p : p + 16])
        cap, orig = cap_of(h, 8)[0], cap_of(h, 12)[0]
        same = h[2:4] == hi[2:4] if bo == "<" else h[0:2] == hi[0:2]
        return same and cap <= orig and cap <= MAX_RECORD

    def _next_ok(c: int) -> bool:
        nxt = c + extra + cap_of(mv, c + len_at)[0]
        return nxt >= end or plausible(nxt)

    v4 = np.ndarray((size - 3,), dtype="V4", buffer=buf, strides=(1,))
    u32 = np.dtype(bo + "u4")

    def word(p: np.ndarray) -> Any:
        """The 32-bit word at each offset ``p`` (clamped inside the buffer), as int64."""
        return v4[np.clip(p, 0, size - 4)].view(u32).astype(np.int64)

    def vplausible(p: np.ndarray) -> Any:
        """:func:`plausible` for many offsets at once."""
        if ng:
            blen = word(p + 4)
            return (
                (p + 16 <= size)
                & (word(p) == EPB)
                & (blen % 4 == 0)
                & (blen >= 32)
                & (blen <= MAX_RECORD)
                & (p + blen <= size)
                & (word(p + blen - 4) == blen)
            )
        cap, orig = word(p + 8), word(p + 12)
        top = word(p)
        same = (top >> 16) == (hi_word >> 16)  # the bytes plausible() compares
        return (p + 16 <= size) & same & (cap <= orig) & (cap <= MAX_RECORD)

    # The first guess of every segment is checked at once; the few that fail are retried
    # one by one with the next candidates.
    ks = np.flatnonzero(hit)
    seg_base = start + SEGMENT * (ks + 1)
    guess = seg_base + where[ks]
    nxt = guess + extra + word(guess + len_at)
    good = vplausible(guess) & ((nxt >= end) | vplausible(nxt))
    found = np.where(good, guess, -1)
    for i in np.flatnonzero(~good).tolist():
        k, base = int(ks[i]), int(seg_base[i])
        for j in np.flatnonzero(ok[k]).tolist()[1:4]:  # the first guess failed: try a few more
            c = base + j
            if plausible(c) and _next_ok(c):
                found[i] = c
                break
    have = found >= 0
    syncs += found[have].tolist()
    bounds += seg_base[have].tolist()
    bounds.append(end)
    nchain = len(syncs)
    spans = np.diff(np.array([start, *bounds])) // SEGMENT
    if nchain < nseg // 2 or int(spans.max()) > MAX_SPAN:
        return None
    pos = np.array(syncs, np.int64)
    stop = np.array(bounds, np.int64)
    steps: list[np.ndarray] = []
    capl: list[np.ndarray] = []  # each step's record lengths, kept for the checks below
    lim = size - 16
    # Every chain steps every time (a chain past its stop just reads records that are
    # dropped below): four numpy calls per step. Liveness is checked every 8 steps.
    while True:
        steps.append(pos)
        caps = v4[np.minimum(pos, lim) + len_at].view(u32)
        capl.append(caps)
        pos = pos + extra + caps
        if len(steps) % 8 == 0:
            live = pos < stop
            # A step costs the same however few chains are left: finish the last few in Python.
            if int(np.count_nonzero(live)) <= STRAGGLERS:
                break
            if len(steps) > MAX_STEPS:
                return None  # lengths that do not advance: not a sane capture for this path
    mat = np.stack(steps, axis=1)  # chains x steps
    capmat = np.stack(capl, axis=1)
    valid = mat < stop[:, None]
    # Each chain lands on its first position at or after its stop (positions only grow).
    past = np.where(valid, np.iinfo(np.int64).max, mat).min(axis=1)
    landing = np.minimum(past, pos)
    views = (
        [mv[k : k + (size - k) // 4 * 4].cast("I") for k in range(4)]
        if (bo == "<") == (sys.byteorder == "little") and not ng
        else []
    )

    def walk(p: int, stop: int) -> tuple[np.ndarray, int, bool]:
        if ng:
            return _walk_blocks(mv, cap_of, p, stop, size)
        return _walk(mv, views, cap_of, p, stop, size)

    try:
        tails: dict[int, np.ndarray] = {}
        for i in np.flatnonzero(live).tolist():
            starts, nxt, done = walk(int(pos[i]), int(stop[i]))
            if done:
                return None
            tails[i] = starts
            landing[i] = nxt
        fixed: dict[int, np.ndarray] = {}
        for i in range(1, nchain):
            prev = int(landing[i - 1])
            if prev == syncs[i]:
                continue
            # The guess for chain i was wrong (or chain i-1 was re-walked): walk it again.
            if prev >= int(stop[i]):
                fixed[i] = np.zeros(0, np.int64)
                landing[i] = prev
                continue
            starts, nxt, done = walk(prev, int(stop[i]))
            if done:
                return None
            fixed[i] = starts
            landing[i] = nxt
    finally:
        for v in views:
            v.release()
    # Record lengths: those the lockstep read, and re-read for the parts walked in Python.
    if fixed or tails:
        parts, lparts = [], []
        for i in range(nchain):
            if i in fixed:
                parts.append(fixed[i])
                lparts.append(v4[fixed[i] + len_at].view(u32))
            else:
                parts.append(mat[i][valid[i]])
                lparts.append(capmat[i][valid[i]])
                if i in tails:
                    parts.append(tails[i])
                    lparts.append(v4[tails[i] + len_at].view(u32))
        out = np.concatenate(parts)
        lens = np.concatenate(lparts).astype(np.int64)
    else:
        out = mat[valid]
        lens = capmat[valid].astype(np.int64)
    if out.shape[0] == 0:
        return None
    if ng:
        types = v4[out].view(u32)
        bad = bool((types != EPB).any()) or bool(((lens % 4) != 0).any()) or int(lens.min()) < 32
        last_end = int(out[-1]) + int(lens[-1])
    else:
        bad = False
        last_end = int(out[-1]) + 16 + int(lens[-1])
    if bad or int(lens.max()) > MAX_RECORD or last_end > size:
        return None  # another block type, a corrupt or cut record: the Python scan handles it
    return out, int(landing[-1])


def _walk_blocks(
    mv: Any, cap_of: Any, pos: int, stop: int, size: int
) -> tuple[np.ndarray, int, bool]:
    """Follow a chain of pcapng Enhanced Packet Blocks in Python (the lockstep fix-up path)."""
    starts: array[int] = array("q")
    add = starts.append
    while pos < stop:
        if pos + 12 > size:
            return _arr(starts), pos, True
        btype, blen = cap_of(mv, pos)[0], cap_of(mv, pos + 4)[0]
        if btype != EPB or blen < 32 or blen % 4 or pos + blen > size:
            return _arr(starts), pos, True  # not ours to handle: the caller falls back
        add(pos)
        pos += blen
    return _arr(starts), pos, False


# -- pcapng ------------------------------------------------------------------------------------


def _idb(body: memoryview, bo: str) -> tuple[int, int, int]:
    """(linktype, tsresol, tsoffset) of an Interface Description Block body."""
    linktype = struct.unpack_from(bo + "H", body, 0)[0] if len(body) >= 2 else 0
    tsresol, tsoffset = 6, 0
    p = 8
    while p + 4 <= len(body):
        code, olen = struct.unpack_from(bo + "HH", body, p)
        if code == 0:
            break
        val = bytes(body[p + 4 : p + 4 + olen])
        if code == IF_TSRESOL and olen >= 1:
            tsresol = val[0]
        elif code == IF_TSOFFSET and olen >= 8:
            tsoffset = struct.unpack(bo + "q", val[:8])[0]
        p += 4 + olen + (-olen % 4)
    return linktype, tsresol, tsoffset


def _ts_to_ns(ts: np.ndarray, iface: np.ndarray, ifaces: list[tuple[int, int, int]]) -> np.ndarray:
    """Raw pcapng timestamps (uint64 in interface units) to int64 ns, per interface."""
    out = np.zeros(ts.shape[0], np.int64)
    for i in np.unique(iface).tolist():
        m = iface == i
        _, r, off = ifaces[i] if 0 <= i < len(ifaces) else (0, 6, 0)
        if not -(2**33) < off < 2**33:  # an absurd if_tsoffset (corrupt IDB): ignore it
            off = 0
        t = ts[m]
        if r & 0x80:
            k = r & 0x7F
            if k < 64:
                whole = (t >> np.uint64(k)).astype(np.int64) * 1_000_000_000
                frac = t & np.uint64((1 << k) - 1)
                part = (frac.astype(np.float64) * 1e9 / float(1 << k)).astype(np.int64)
                ns = whole + part
            else:
                ns = (t.astype(np.float64) * (1e9 / 2.0**k)).astype(np.int64)
        elif r <= 9:
            ns = t.astype(np.int64) * int(10 ** (9 - r))
        elif r - 9 <= 19:
            ns = (t // np.uint64(10 ** (r - 9))).astype(np.int64)
        else:
            ns = np.zeros(t.shape[0], np.int64)
        out[m] = ns + off * 1_000_000_000
    return out


def _scan_pcapng(buf: np.ndarray, batch: int, state: Scan) -> Iterator[Frames]:
    size = buf.shape[0]
    mv = buf.data
    pos = 0
    bo = "<"
    two = struct.Struct("<II").unpack_from
    section_base = 0  # global id of interface 0 of the current section
    ifaces = state.interfaces
    epb_dt = {
        o: np.dtype(
            [
                ("type", o + "u4"),
                ("len", o + "u4"),
                ("if", o + "u4"),
                ("hi", o + "u4"),
                ("lo", o + "u4"),
                ("cap", o + "u4"),
                ("orig", o + "u4"),
            ]
        )
        for o in "<>"
    }
    big = 0
    while True:
        # Runs of Enhanced Packet Blocks (the bulk of a capture) are found by the vectorised
        # lockstep walk; anything else (sections, interfaces, other blocks, the tail of the
        # file, a corrupt block) by the Python loop below, one batch at a time.
        if pos > 0 and ifaces and size - pos > WINDOW + (1 << 17):
            got = _lockstep(buf, pos, pos + WINDOW, bo, ng=True)
            if got is not None:
                found, pos = got
                for lo in range(0, found.shape[0], batch):
                    sl = found[lo : lo + batch]
                    m = sl.shape[0]
                    kinds_np = np.full(m, big, np.int8)
                    yield _pcapng_frames(
                        buf, sl, kinds_np, np.full(m, section_base, np.int64), epb_dt, ifaces
                    )
                    state.frames += m
                continue
        # Each entry: block offset; kind and section info go to parallel arrays.
        blocks: array[int] = array("q")
        kinds: array[int] = array("b")  # 0 EPB/OPB little, 1 EPB/OPB big, 2 SPB little, 3 SPB big
        bases: array[int] = array("q")
        add, addk, addb = blocks.append, kinds.append, bases.append
        count = 0
        while count < batch:
            if pos + 12 > size:
                break
            btype, blen = two(mv, pos)
            if btype == SHB:
                bom = bytes(mv[pos + 8 : pos + 12])
                if len(bom) < 4:
                    break
                bo = "<" if struct.unpack("<I", bom)[0] == BYTE_ORDER_MAGIC else ">"
                big = 1 if bo == ">" else 0
                two = struct.Struct(bo + "II").unpack_from
                blen = struct.unpack_from(bo + "I", mv, pos + 4)[0]
                section_base = len(ifaces)
            if blen < 12 or blen % 4 or blen > MAX_RECORD:
                state.corrupt_at = pos
                break
            if pos + blen > size:
                break
            if btype in (EPB, OPB):
                add(pos)
                addk(big)
                addb(section_base)
                count += 1
            elif btype == SPB:
                add(pos)
                addk(2 + big)
                addb(section_base)
                count += 1
            elif btype == IDB:
                ifaces.append(_idb(mv[pos + 8 : pos + blen - 4], bo))
            pos += blen
        if len(blocks):
            yield _pcapng_frames(
                buf, _arr(blocks), np.frombuffer(kinds, np.int8), _arr(bases), epb_dt, ifaces
            )
            state.frames += len(blocks)
        if count < batch:
            break
    if state.corrupt_at is None and pos < size:
        state.truncated_at = pos


def _pcapng_frames(
    buf: np.ndarray,
    blocks: np.ndarray,
    kinds: np.ndarray,
    bases: np.ndarray,
    dts: dict[str, Any],
    ifaces: list[tuple[int, int, int]],
) -> Frames:
    n = blocks.shape[0]
    raw = gather(buf, blocks, 28)
    pos = np.zeros(n, np.int64)
    caplen = np.zeros(n, np.int64)
    length = np.zeros(n, np.int64)
    ts = np.zeros(n, np.uint64)
    iface = np.zeros(n, np.int64)
    has_ts = np.ones(n, bool)
    blen = np.zeros(n, np.int64)
    btype = np.zeros(n, np.int64)
    for k, o in ((0, "<"), (1, ">"), (2, "<"), (3, ">")):
        m = kinds == k
        if not m.any():
            continue
        h = np.ascontiguousarray(raw[m]).reshape(-1).view(dts[o])
        blen[m] = h["len"]
        btype[m] = h["type"]
        if k < 2:
            pos[m] = blocks[m] + 28
            caplen[m] = h["cap"]
            length[m] = h["orig"]
            ts[m] = (h["hi"].astype(np.uint64) << np.uint64(32)) | h["lo"].astype(np.uint64)
            iface[m] = h["if"]
        else:
            # SPB: no interface id (always 0), no timestamp; captured bytes fill the block.
            pos[m] = blocks[m] + 12
            length[m] = h["if"]  # the field after the block length is the original length
            caplen[m] = np.minimum(h["if"].astype(np.int64), blen[m] - 16)
            has_ts[m] = False
    # OPB (obsolete) carries a 16-bit interface id and 16-bit drop count in the 32-bit field.
    opb = btype == OPB
    if opb.any():
        iface[opb & (kinds == 0)] &= 0xFFFF
        iface[opb & (kinds == 1)] >>= 16
    # A captured length that overruns its block is corruption: clip it to the block.
    caplen = np.clip(caplen, 0, np.maximum(blen - (pos - blocks) - 4, 0))
    iface = iface + bases
    lt_table = np.array([lt for lt, _, _ in ifaces] or [0], np.int64)
    known = iface < len(ifaces)
    linktype = np.where(known, lt_table[np.minimum(iface, len(lt_table) - 1)], -1)
    ts_ns = _ts_to_ns(ts, iface, ifaces)
    return Frames(
        pos=pos,
        caplen=caplen,
        length=length,
        ts_ns=ts_ns,
        ts_valid=None if bool(has_ts.all()) else has_ts,
        linktype=linktype,
        interface=iface,
    )
