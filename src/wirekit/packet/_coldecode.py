"""Vectorised decoding of the common headers of a batch of frames into numpy columns.

How it stays fast in pure Python + numpy:

1. One gather copies the first :data:`WIDTH` bytes of every frame into an (n, WIDTH) block
   (:func:`gather`; for classic pcap the scan's record-header gather brings it along).
2. Each layer (IP, then TCP/UDP/ICMP + DNS header) is copied out of that block once,
   realigned to its per-frame offset (one column-range copy per distinct offset, a gather
   for offsets past the block), and read through a structured big-endian view: every field
   is one strided cast into its column's dtype.
3. Every field has a validity mask: a field is valid only when its bytes lie inside the
   captured length. Garbage never raises; it yields null columns.

Semantics (the ground truth the tests check):

- ``proto`` is the upper-layer protocol: for IPv6, the next header after the extension
  header chain (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP,
  shim6; RFC 8200 §4).
- A non-first fragment (IPv4 offset > 0, or an IPv6 Fragment header with offset > 0) has
  no L4 header, so it has no ports or TCP fields (RFC 791 §3.2, RFC 8200 §4.5).
  ``frag_offset`` is in bytes; ``ip_flags`` bit 0 is More Fragments, bit 1 Don't Fragment.
- ``payload_len`` is the number of bytes after the innermost decoded header as the IP
  lengths say (not as captured).
- DNS fields are decoded for UDP port 53 and 5353 (mDNS) messages (RFC 1035 §4.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._colscan import HEAD, Frames, gather

#: first bytes of each frame gathered at once (pcap batches bring them from the scan)
WIDTH = HEAD
I64 = np.int64
U8 = np.uint8

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
#: IPv6 extension headers that are walked (RFC 8200 §4, IANA "IPv6 Extension Header Types").
EXT6 = (0, 43, 44, 51, 60, 135, 139, 140)
ET_IPV4, ET_IPV6 = 0x0800, 0x86DD
DNS_PORTS = (53, 5353)

Column = tuple[np.ndarray, np.ndarray | None]


def be16(h: np.ndarray, o: int) -> Any:
    return (h[:, o].astype(I64) << 8) | h[:, o + 1]


def be32(h: np.ndarray, o: int) -> Any:
    return np.ascontiguousarray(h[:, o : o + 4]).view(">u4")[:, 0].astype(I64)


def _isin(a: np.ndarray, values: tuple[int, ...]) -> Any:
    m = a == values[0]
    for v in values[1:]:
        m |= a == v
    return m


#: IPv4 (RFC 791 §3.1) and IPv6 (RFC 8200 §3) fixed headers over one 40-byte gather
DT_IP4 = np.dtype(
    [
        ("vihl", "u1"),
        ("tos", "u1"),
        ("tot", ">u2"),
        ("id", ">u2"),
        ("ff", ">u2"),
        ("ttl", "u1"),
        ("proto", "u1"),
        ("csum", ">u2"),
        ("src", ">u4"),
        ("dst", ">u4"),
        ("rest", "V20"),
    ]
)
DT_IP6 = np.dtype(
    [("vtc", "u1"), ("flow", "V3"), ("plen", ">u2"), ("nh", "u1"), ("hlim", "u1"), ("a", "V32")]
)
#: TCP (RFC 9293 §3.1) and UDP + DNS header (RFC 768, RFC 1035 §4.1.1) over one 20-byte gather
DT_TCP = np.dtype(
    [
        ("sport", ">u2"),
        ("dport", ">u2"),
        ("seq", ">u4"),
        ("ack", ">u4"),
        ("off", "u1"),
        ("flags", "u1"),
        ("win", ">u2"),
        ("rest", "V4"),
    ]
)
DT_DNS = np.dtype([("udp", "V8"), ("id", ">u2"), ("flags", ">u2"), ("qd", ">u2"), ("rest", "V6")])


class _Batch:
    """The buffer, the frames and the first-bytes block of one batch."""

    def __init__(self, buf: np.ndarray, fr: Frames) -> None:
        self.buf = buf
        self.pos = fr.pos
        self.cap = fr.caplen
        self.n = fr.pos.shape[0]
        if fr.block is None:
            self.raw, self.skip = gather(buf, fr.pos, WIDTH), 0
        else:
            self.raw, self.skip = np.ascontiguousarray(fr.block), fr.skip
        self.block = self.raw[:, self.skip :]

    def be16(self, o: int) -> Any:
        """The big-endian 16-bit field at frame offset ``o`` of every frame, as int64."""
        if self.n == 0:
            return np.zeros(0, I64)
        rowlen = self.raw.shape[1]
        col = np.ndarray((self.n,), ">u2", buffer=self.raw, offset=self.skip + o, strides=(rowlen,))
        return col.astype(I64)

    def window(self, idx: np.ndarray, rel: np.ndarray, width: int) -> Any:
        """``width`` bytes at offset ``rel`` (from the frame start) of the frames ``idx``."""
        return gather(self.buf, self.pos[idx] + rel, width)

    def at(self, rel: np.ndarray, width: int) -> Any:
        """A contiguous (n, width) block of the bytes at each frame's offset ``rel``.

        A column-range copy of the first-bytes block when every frame has the same offset;
        otherwise one gather from the (cache-resident) block, plus a gather from the buffer
        for the frames whose offset lies past the block. Rows with ``rel < 0`` read the
        frame's first bytes; callers mask them.
        """
        r = np.maximum(rel, 0)
        lim = self.block.shape[1] - width
        lo, hi = (int(r.min()), int(r.max())) if self.n else (0, 0)
        if lo == hi and hi <= lim:
            return self.block[:, lo : lo + width].copy()
        rowlen = self.raw.shape[1]
        starts = np.arange(self.skip, self.n * rowlen, rowlen, dtype=I64)
        out = gather(self.raw.reshape(-1), starts + np.minimum(r, lim), width)
        if hi > lim:
            sel = np.flatnonzero(r > lim)
            out[sel] = gather(self.buf, self.pos[sel] + r[sel], width)
        return out


#: frames decoded at once: the (SUB, WIDTH) block stays in the L3 cache while every field
#: is read from it (at 64k frames the strided column reads become cache misses)
SUB = 32768


def decode(buf: np.ndarray, fr: Frames) -> dict[str, Any]:
    """Decode a batch of frames; returns name -> (values, valid) plus address/text parts."""
    n = fr.pos.shape[0]
    if n <= SUB:
        return _decode(buf, fr)
    parts = []
    for lo in range(0, n, SUB):
        sl = slice(lo, lo + SUB)
        sub = Frames(
            pos=fr.pos[sl],
            caplen=fr.caplen[sl],
            length=fr.length[sl],
            ts_ns=fr.ts_ns[sl],
            ts_valid=None if fr.ts_valid is None else fr.ts_valid[sl],
            linktype=fr.linktype[sl],
            interface=fr.interface[sl],
            block=None if fr.block is None else fr.block[sl],
            skip=fr.skip,
        )
        parts.append((lo, sub.pos.shape[0], _decode(buf, sub)))
    return _merge(parts)


def _merge(parts: list[tuple[int, int, dict[str, Any]]]) -> dict[str, Any]:
    """Join the decodes of consecutive sub-batches into one."""
    out: dict[str, Any] = {}
    names = {k for _, _, p in parts for k in p} - {"addr", "dns_qname"}
    for name in names:
        vals, oks = [], []
        dtype = next(p[name][0].dtype for _, _, p in parts if name in p)
        for _, m, p in parts:
            if name in p:
                vals.append(p[name][0])
                oks.append(p[name][1])
            else:
                vals.append(np.zeros(m, dtype))
                oks.append(np.zeros(m, bool))
        out[name] = (np.concatenate(vals), np.concatenate(oks))
    addr: dict[str, Any] = {}
    for fam in ("v4", "v6"):
        got = [(lo, p["addr"][fam]) for lo, _, p in parts if fam in p["addr"]]
        if got:
            addr[fam] = (
                np.concatenate([r + lo for lo, (r, _, _) in got]),
                np.concatenate([a for _, (_, a, _) in got]),
                np.concatenate([b for _, (_, _, b) in got]),
            )
    out["addr"] = addr
    texts = [(lo, p["dns_qname"]) for lo, _, p in parts if p["dns_qname"] is not None]
    if texts:
        rows, offs, datas = [], [np.zeros(1, np.int32)], []
        base = 0
        for lo, (r, o, d) in texts:
            rows.append(r + lo)
            offs.append(o[1:] + base)
            datas.append(d)
            base += int(o[-1])
        out["dns_qname"] = (
            np.concatenate(rows),
            np.concatenate(offs).astype(np.int32),
            np.concatenate(datas),
        )
    else:
        out["dns_qname"] = None
    return out


def _decode(buf: np.ndarray, fr: Frames) -> dict[str, Any]:
    b = _Batch(buf, fr)
    n = b.n
    cols: dict[str, Column] = {}
    cap = b.cap
    lt = fr.linktype
    # Each layer is copied out of the first-bytes block once, realigned to its own
    # per-frame offset, so every field below is a fixed column of a structured view.
    blk = b.block
    l3 = np.full(n, -1, I64)
    et = np.zeros(n, I64)
    mac_src = np.zeros(n, np.uint64)
    mac_dst = np.zeros(n, np.uint64)
    mac_src_ok = np.zeros(n, bool)
    mac_dst_ok = np.zeros(n, bool)

    def mac(o: int) -> np.ndarray:
        if b.skip >= 2 and n:
            # The 8 bytes ending with the MAC, as one strided big-endian read, top 2 dropped.
            rowlen = b.raw.shape[1]
            col = np.ndarray((n,), ">u8", buffer=b.raw, offset=b.skip + o - 2, strides=(rowlen,))
            return col.astype(np.uint64) & np.uint64(0xFFFFFFFFFFFF)
        k = np.zeros((n, 8), U8)
        k[:, 2:8] = blk[:, o : o + 6]
        return k.view(">u8")[:, 0].astype(np.uint64)

    # -- link layer (tcpdump.org/linktypes.html) ------------------------------------------------
    eth = (lt == 1) & (cap >= 14)
    all_eth = bool(eth.all())
    if all_eth or eth.any():
        t = b.be16(12)
        l3e = np.full(n, 14, I64)
        tag = eth & _isin(t, VLAN_TPIDS) & (cap >= 18)
        if tag.any():
            cols["vlan"] = (b.be16(14) & 0x0FFF, tag)
            t = np.where(tag, b.be16(16), t)
            l3e[tag] = 18
            tag2 = tag & _isin(t, VLAN_TPIDS) & (cap >= 22)
            if tag2.any():
                cols["vlan_inner"] = (b.be16(18) & 0x0FFF, tag2)
                t = np.where(tag2, b.be16(20), t)
                l3e[tag2] = 22
        # An 802.3 length field (< 0x600) is not an ethertype: LLC follows, no network layer.
        ethernet_ii = eth & (t >= 0x600)
        et = np.where(ethernet_ii, t, et)
        l3 = np.where(ethernet_ii, l3e, l3)
        if all_eth:
            mac_dst, mac_src = mac(0), mac(6)
        else:
            mac_dst = np.where(eth, mac(0), mac_dst)
            mac_src = np.where(eth, mac(6), mac_src)
        mac_dst_ok |= eth
        mac_src_ok |= eth
    if not all_eth:
        raw = _isin(lt, (101, 228, 229, 12, 14)) & (cap >= 1)
        if raw.any():
            v = blk[:, 0] >> 4
            et = np.where(raw & (v == 4), ET_IPV4, np.where(raw & (v == 6), ET_IPV6, et))
            l3 = np.where(raw, 0, l3)
        sll = (lt == 113) & (cap >= 16)
        if sll.any():
            et = np.where(sll, b.be16(14), et)
            l3 = np.where(sll, 16, l3)
            has = sll & (b.be16(4) == 6)
            mac_src = np.where(has, mac(6), mac_src)
            mac_src_ok |= has
        sll2 = (lt == 276) & (cap >= 20)
        if sll2.any():
            et = np.where(sll2, b.be16(0), et)
            l3 = np.where(sll2, 20, l3)
            has = sll2 & (blk[:, 11] == 6)
            mac_src = np.where(has, mac(12), mac_src)
            mac_src_ok |= has
        null = _isin(lt, (0, 108)) & (cap >= 4)
        if null.any():
            fam_be = be32(blk, 0)
            fam_le = np.ascontiguousarray(blk[:, 0:4]).view("<u4")[:, 0].astype(I64)
            # NULL is in the capturing host's byte order, LOOP in network order (BSD AF_*).
            fam = np.where(lt == 0, np.where(fam_le < 256, fam_le, fam_be), fam_be)
            et = np.where(
                null & (fam == 2),
                ET_IPV4,
                np.where(null & _isin(fam, (10, 24, 28, 30)), ET_IPV6, et),
            )
            l3 = np.where(null, 4, l3)
    cols["ethertype"] = (et, (l3 >= 0) & (et > 0))
    av3 = cap - l3
    has3 = l3 >= 0
    h3 = b.at(l3, DT_IP4.itemsize).reshape(-1)
    q4 = h3.view(DT_IP4)

    # -- IPv4 (RFC 791 §3.1) --------------------------------------------------------------------
    vihl = q4["vihl"]
    ihl4 = (vihl & 15).astype(I64) * 4
    v4 = (et == ET_IPV4) & has3 & (av3 >= 20) & ((vihl >> 4) == 4) & (ihl4 >= 20)
    tot = q4["tot"].astype(I64)
    ff = q4["ff"].astype(np.uint16)
    frag_off = (ff & 0x1FFF) * 8  # fits: 0x1FFF * 8 < 2**16
    ip_flags = ((ff >> 13) & 7).astype(U8)
    ttl = q4["ttl"].copy()
    proto = q4["proto"].copy()
    ip_id = q4["id"].astype(np.uint32)
    ip_id_ok = v4.copy()
    frag_ok = v4.copy()
    l4 = np.where(v4, l3 + ihl4, -1)
    # A zero total length happens with TSO on the capturing host: trust the wire length.
    ip_end = np.where(v4, np.where(tot == 0, fr.length, l3 + tot), 0)
    l4_ok = v4 & (frag_off == 0) & ((tot == 0) | (tot >= ihl4))
    addr: dict[str, Any] = {}
    if bool(v4.all()):
        addr["v4"] = (np.arange(n), q4["src"].astype(np.uint32), q4["dst"].astype(np.uint32))
    elif v4.any():
        rows = np.flatnonzero(v4)
        addr["v4"] = (rows, q4["src"][rows].astype(np.uint32), q4["dst"][rows].astype(np.uint32))

    # -- IPv6 (RFC 8200 §3, §4) -----------------------------------------------------------------
    v6 = (et == ET_IPV6) & has3 & (av3 >= 40)
    if v6.any():
        v6 &= (q4["vihl"] >> 4) == 6
        i6 = np.flatnonzero(v6)
        q6 = h3.view(DT_IP6)[i6]
        h6 = h3.view(U8).reshape(n, -1)[i6]
        rel = l3[i6]
        plen = q6["plen"].astype(I64)
        ttl[i6] = q6["hlim"]
        ip_end[i6] = np.where(plen == 0, fr.length[i6], rel + 40 + plen)
        addr["v6"] = (i6, np.ascontiguousarray(h6[:, 8:24]), np.ascontiguousarray(h6[:, 24:40]))
        nh = q6["nh"].astype(I64)
        cur = rel + 40
        alive = np.ones(i6.shape[0], bool)
        ok6 = np.ones(i6.shape[0], bool)
        frag_ok[i6] = True  # unfragmented: offset 0, no flags
        frag_off[i6] = 0
        ip_flags[i6] = 0
        for _ in range(16):  # RFC 8200 §4.1: each extension header at most once (dest-opts twice)
            act = np.flatnonzero(alive & _isin(nh, EXT6))
            if act.shape[0] == 0:
                break
            rows = i6[act]
            e = b.window(rows, cur[act], 8)
            have = (cap[rows] - cur[act]) >= 8
            short = act[~have]
            alive[short] = False
            ok6[short] = False
            act, e, rows = act[have], e[have], rows[have]
            t = nh[act]
            is_frag = t == 44
            hlen = np.where(
                is_frag,
                8,
                np.where(t == 51, (e[:, 1].astype(I64) + 2) * 4, (e[:, 1].astype(I64) + 1) * 8),
            )
            if is_frag.any():
                fa = act[is_frag]
                ef = e[is_frag]
                fo = be16(ef, 2) & 0xFFF8
                frag_off[i6[fa]] = fo
                ip_flags[i6[fa]] = ef[:, 3] & 1
                ip_id[i6[fa]] = be32(ef, 4)
                ip_id_ok[i6[fa]] = True
                stop = fa[fo != 0]
                alive[stop] = False
                ok6[stop] = False
            nh[act] = e[:, 0]
            cur[act] = cur[act] + hlen
        proto[i6] = nh
        l4[i6] = cur
        l4_ok[i6] = ok6 & ~_isin(nh, EXT6)

    ip = v4 | v6
    cols["ip_version"] = (np.where(v4, U8(4), U8(6)), ip)
    cols["ttl"] = (ttl, ip)
    cols["proto"] = (proto, ip)
    cols["ip_id"] = (ip_id, ip_id_ok)
    cols["ip_flags"] = (ip_flags, frag_ok)
    cols["frag_offset"] = (frag_off, frag_ok)

    # -- TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443) ---------------
    # For IP packets without a decoded L4 header, the payload is everything after the IP headers.
    payload = ip_end - l4
    tcp = l4_ok & (proto == 6)
    udp = l4_ok & (proto == 17)
    icmp = l4_ok & ((proto == 1) | (proto == 58))
    av = cap - l4
    h4 = b.at(l4, DT_TCP.itemsize).reshape(-1)
    q = h4.view(DT_TCP)
    tu = (tcp | udp) & (av >= 4)
    sport = q["sport"].astype(np.uint16)
    dport = q["dport"].astype(np.uint16)
    cols["sport"] = (sport, tu)
    cols["dport"] = (dport, tu)
    cols["seq"] = (q["seq"], tcp & (av >= 8))
    cols["ack"] = (q["ack"], tcp & (av >= 12))
    b12 = q["off"]
    cols["tcp_flags"] = (((b12 & 1).astype(np.uint16) << 8) | q["flags"], tcp & (av >= 14))
    cols["window"] = (q["win"], tcp & (av >= 16))
    # ICMP type and code are the bytes that TCP/UDP use for the source port.
    cols["icmp_type"] = (sport >> 8, icmp & (av >= 1))
    cols["icmp_code"] = (sport & 0xFF, icmp & (av >= 2))
    doff = (b12 >> 4).astype(I64) * 4
    payload = np.where(tcp, payload - doff, np.where(udp | icmp, payload - 8, payload))
    payload_ok = ip & (payload >= 0) & ~(tcp & ((av < 13) | (doff < 20)))
    cols["payload_len"] = (payload, payload_ok)
    udp_ok = udp & (av >= 8)

    # -- DNS (RFC 1035 §4.1) --------------------------------------------------------------------
    text = None
    dns = udp_ok & (_isin(sport, DNS_PORTS) | _isin(dport, DNS_PORTS)) & (av >= 20)
    if dns.any():
        d = h4.view(DT_DNS)
        flags = d["flags"]
        cols["dns_id"] = (d["id"], dns)
        cols["dns_qr"] = ((flags >> 15).astype(bool), dns)
        cols["dns_rcode"] = (flags & 15, dns)
        drows = np.flatnonzero(dns & (d["qd"] >= 1))
        text = _qnames(b, cols, drows, l4[drows] + 20)

    res: dict[str, Any] = dict(cols)
    res["eth_src"] = (mac_src, mac_src_ok)
    res["eth_dst"] = (mac_dst, mac_dst_ok)
    res["addr"] = addr
    res["dns_qname"] = text
    return res


def _qnames(
    b: _Batch, cols: dict[str, Column], rows: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Walk the first question name of each DNS message; fill dns_qtype; return text parts.

    Returns (rows, offsets, data): UTF-8 text of each decoded name (labels joined by dots,
    bytes outside printable ASCII replaced by ``?``; the root name is ``.``).
    """
    if rows.shape[0] == 0:
        return None
    buf, pos, cap = b.buf, b.pos, b.cap
    m = rows.shape[0]
    cur = start.copy()
    alive = np.ones(m, bool)
    done = np.zeros(m, bool)
    dots_row: list[np.ndarray] = []
    dots_at: list[np.ndarray] = []
    # Whole-array masks over the m DNS rows (fewer numpy calls per label than indexing).
    base = pos[rows]
    caps = cap[rows]
    for k in range(128):  # RFC 1035 §3.1: a name is at most 255 bytes
        act = alive & ~done
        if not act.any():
            break
        act &= cur < caps
        alive &= act | done
        ln = buf[np.where(act, base + cur, 0)].astype(I64)
        end = act & (ln == 0)
        done |= end
        if k == 0 and end.any():
            fin = np.flatnonzero(end)
            dots_row.append(fin)
            dots_at.append(cur[fin])
        # Compression pointers (RFC 1035 §4.1.4) in a question name and reserved label
        # types are left undecoded.
        lab = act & ~end
        bad = lab & ((ln >= 64) | (cur + 1 + ln - start > 254))
        alive &= ~bad
        lab &= ~bad
        if k > 0:
            li = np.flatnonzero(lab)
            dots_row.append(li)
            dots_at.append(cur[li])
        cur = np.where(lab, cur + 1 + ln, cur)
    ok = done & alive
    qt_ok = ok & (cur + 3 <= cap[rows])
    qi = np.flatnonzero(qt_ok)
    if qi.shape[0]:
        at = pos[rows[qi]] + cur[qi] + 1
        qtype = np.zeros(b.n, I64)
        qok = np.zeros(b.n, bool)
        qtype[rows[qi]] = (buf[at].astype(I64) << 8) | buf[at + 1]
        qok[rows[qi]] = True
        cols["dns_qtype"] = (qtype, qok)
    good = np.flatnonzero(ok)
    if good.shape[0] == 0:
        return None
    root = cur[good] == start[good]
    tstart = np.where(root, start[good], start[good] + 1)
    tlen = np.where(root, 1, cur[good] - start[good] - 1)
    offsets = np.zeros(good.shape[0] + 1, I64)
    np.cumsum(tlen, out=offsets[1:])
    total = int(offsets[-1])
    src = np.repeat(pos[rows[good]] + tstart - offsets[:-1], tlen) + np.arange(total, dtype=I64)
    data = buf[src].copy()
    bad = (data < 0x20) | (data > 0x7E)
    data[bad] = ord("?")
    if dots_row:
        # Map each length byte (after the first) to its place in the text and make it a dot.
        where = np.zeros(m, I64)
        has = np.zeros(m, bool)
        where[good] = offsets[:-1] - tstart
        has[good] = True
        dr = np.concatenate(dots_row)
        da = np.concatenate(dots_at)
        keep = has[dr]
        data[where[dr[keep]] + da[keep]] = ord(".")
    return rows[good], offsets.astype(np.int32), data
