"""Vectorised decoding of the common headers of a batch of frames into numpy columns.

How it stays fast in pure Python + numpy:

1. One gather copies the first :data:`WIDTH` bytes of every frame into an (n, WIDTH) block
   (:func:`gather`). Fixed-offset fields are then column slices of that block.
2. Layers whose offset varies per frame (after VLAN tags, IPv4 options, IPv6 extension
   headers) are read per distinct offset from the block, or gathered again at their
   absolute position when they lie past the block.
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

from ._colscan import Frames, gather

WIDTH = 96
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


class _Batch:
    """The buffer, the frames and the first-bytes block of one batch."""

    def __init__(self, buf: np.ndarray, fr: Frames) -> None:
        self.buf = buf
        self.pos = fr.pos
        self.cap = fr.caplen
        self.n = fr.pos.shape[0]
        self.block = gather(buf, fr.pos, WIDTH)

    def window(self, idx: np.ndarray, rel: np.ndarray, width: int) -> np.ndarray:
        """``width`` bytes at offset ``rel`` (from the frame start) of the frames ``idx``."""
        out = np.zeros((idx.shape[0], width), U8)
        if idx.shape[0] == 0:
            return out
        inside = rel <= WIDTH - width
        ri = np.flatnonzero(inside)
        if ri.shape[0]:
            rv = rel[ri]
            lo, hi = int(rv.min()), int(rv.max())
            if lo == hi:
                out[ri] = self.block[idx[ri], lo : lo + width]
            else:
                for v in np.unique(rv).tolist():
                    sel = ri[rv == v]
                    out[sel] = self.block[idx[sel], v : v + width]
        if ri.shape[0] < idx.shape[0]:
            ro = np.flatnonzero(~inside)
            out[ro] = gather(self.buf, self.pos[idx[ro]] + rel[ro], width)
        return out


class _At:
    """The bytes at a per-frame offset ``rel`` of every frame, read one field at a time.

    Fields come back full-length (one value per frame of the batch): frames at the most
    common offset are read as a column slice of the block, the others are patched in by
    row. Frames outside ``present`` read garbage; callers mask them.
    """

    def __init__(self, b: _Batch, rel: np.ndarray, present: np.ndarray, width: int) -> None:
        self.blk = b.block
        rows = np.flatnonzero(present)
        rv = rel[rows]
        inside = rv <= WIDTH - width
        self.major = 0
        self.fix: list[tuple[np.ndarray, int]] = []
        self.far: tuple[np.ndarray, np.ndarray] | None = None
        ri, vi = rows[inside], rv[inside]
        if ri.shape[0]:
            counts = np.bincount(vi, minlength=1)
            self.major = int(counts.argmax())
            if counts[self.major] != ri.shape[0]:
                for v in np.flatnonzero(counts).tolist():
                    if v != self.major:
                        self.fix.append((ri[vi == v], v))
        if ri.shape[0] < rows.shape[0]:
            ro = rows[~inside]
            self.far = (ro, gather(b.buf, b.pos[ro] + rel[ro], width))

    def u8(self, k: int) -> Any:
        col = self.blk[:, self.major + k].astype(I64)
        for r, v in self.fix:
            col[r] = self.blk[r, v + k]
        if self.far is not None:
            col[self.far[0]] = self.far[1][:, k]
        return col

    def be16(self, k: int) -> Any:
        return (self.u8(k) << 8) | self.u8(k + 1)

    def be32(self, k: int) -> Any:
        return (self.be16(k) << 16) | self.be16(k + 2)


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
    blk = b.block
    l3 = np.full(n, -1, I64)
    et = np.zeros(n, I64)
    mac_src = np.zeros(n, np.uint64)
    mac_dst = np.zeros(n, np.uint64)
    mac_src_ok = np.zeros(n, bool)
    mac_dst_ok = np.zeros(n, bool)

    def mac(o: int) -> np.ndarray:
        k = np.zeros((n, 8), U8)
        k[:, 2:8] = blk[:, o : o + 6]
        return k.view(">u8")[:, 0].astype(np.uint64)

    # -- link layer (tcpdump.org/linktypes.html) ------------------------------------------------
    eth = (lt == 1) & (cap >= 14)
    if eth.any():
        t = be16(blk, 12)
        l3e = np.full(n, 14, I64)
        tag = eth & _isin(t, VLAN_TPIDS) & (cap >= 18)
        if tag.any():
            cols["vlan"] = (be16(blk, 14) & 0x0FFF, tag)
            t = np.where(tag, be16(blk, 16), t)
            l3e[tag] = 18
            tag2 = tag & _isin(t, VLAN_TPIDS) & (cap >= 22)
            if tag2.any():
                cols["vlan_inner"] = (be16(blk, 18) & 0x0FFF, tag2)
                t = np.where(tag2, be16(blk, 20), t)
                l3e[tag2] = 22
        # An 802.3 length field (< 0x600) is not an ethertype: LLC follows, no network layer.
        ethernet_ii = eth & (t >= 0x600)
        et = np.where(ethernet_ii, t, et)
        l3 = np.where(ethernet_ii, l3e, l3)
        mac_dst = np.where(eth, mac(0), mac_dst)
        mac_src = np.where(eth, mac(6), mac_src)
        mac_dst_ok |= eth
        mac_src_ok |= eth
    if not eth.all():
        raw = _isin(lt, (101, 228, 229, 12, 14)) & (cap >= 1)
        if raw.any():
            v = blk[:, 0] >> 4
            et = np.where(raw & (v == 4), ET_IPV4, np.where(raw & (v == 6), ET_IPV6, et))
            l3 = np.where(raw, 0, l3)
        sll = (lt == 113) & (cap >= 16)
        if sll.any():
            et = np.where(sll, be16(blk, 14), et)
            l3 = np.where(sll, 16, l3)
            has = sll & (be16(blk, 4) == 6)
            mac_src = np.where(has, mac(6), mac_src)
            mac_src_ok |= has
        sll2 = (lt == 276) & (cap >= 20)
        if sll2.any():
            et = np.where(sll2, be16(blk, 0), et)
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

    # -- IPv4 (RFC 791 §3.1) --------------------------------------------------------------------
    proto = np.full(n, -1, I64)
    l4 = np.full(n, -1, I64)
    ip_end = np.zeros(n, I64)
    l4_ok = np.zeros(n, bool)
    addr: dict[str, Any] = {}
    ttl = np.zeros(n, I64)
    ip_id = np.zeros(n, I64)
    ip_id_ok = np.zeros(n, bool)
    ip_flags = np.zeros(n, I64)
    frag_off = np.zeros(n, I64)
    frag_ok = np.zeros(n, bool)

    v4 = (et == ET_IPV4) & (l3 >= 0) & (av3 >= 20)
    if v4.any():
        h = _At(b, l3, v4, 20)
        vihl = h.u8(0)
        ihl = vihl & 15
        v4 &= ((vihl >> 4) == 4) & (ihl >= 5)
        tot = h.be16(2)
        ff = h.be16(6)
        frag = (ff & 0x1FFF) * 8
        ttl = np.where(v4, h.u8(8), ttl)
        ip_id = np.where(v4, h.be16(4), ip_id)
        ip_id_ok |= v4
        ip_flags = np.where(v4, (ff >> 13) & 7, ip_flags)
        frag_off = np.where(v4, frag, frag_off)
        frag_ok |= v4
        proto = np.where(v4, h.u8(9), proto)
        l4 = np.where(v4, l3 + ihl * 4, l4)
        # A zero total length happens with TSO on the capturing host: trust the wire length.
        ip_end = np.where(v4, np.where(tot == 0, fr.length, l3 + tot), ip_end)
        l4_ok |= v4 & (frag == 0) & ((tot == 0) | (tot >= ihl * 4))
        rows = np.flatnonzero(v4)
        addr["v4"] = (rows, h.be32(12)[rows].astype(np.uint32), h.be32(16)[rows].astype(np.uint32))

    # -- IPv6 (RFC 8200 §3, §4) -----------------------------------------------------------------
    v6 = (et == ET_IPV6) & (l3 >= 0) & (av3 >= 40)
    if v6.any():
        i6 = np.flatnonzero(v6)
        rel = l3[i6]
        h6 = b.window(i6, rel, 40)
        good = (h6[:, 0] >> 4) == 6
        v6[i6[~good]] = False
        i6, rel, h6 = i6[good], rel[good], h6[good]
        plen = be16(h6, 4)
        ttl[i6] = h6[:, 7]
        ip_end[i6] = np.where(plen == 0, fr.length[i6], rel + 40 + plen)
        addr["v6"] = (i6, np.ascontiguousarray(h6[:, 8:24]), np.ascontiguousarray(h6[:, 24:40]))
        nh = h6[:, 6].astype(I64)
        cur = rel + 40
        alive = np.ones(i6.shape[0], bool)
        ok6 = np.ones(i6.shape[0], bool)
        frag_ok[i6] = True  # unfragmented: offset 0, no flags
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
    cols["ip_version"] = (np.where(v4, 4, 6), ip)
    cols["ttl"] = (ttl, ip)
    cols["proto"] = (proto, ip)
    cols["ip_id"] = (ip_id, ip_id_ok)
    cols["ip_flags"] = (ip_flags, frag_ok)
    cols["frag_offset"] = (frag_off, frag_ok)

    # -- TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443) ---------------
    # For IP packets without a decoded L4 header, the payload is everything after the IP headers.
    payload = ip_end - l4
    payload_ok = ip & (payload >= 0)
    tcp = l4_ok & (proto == 6)
    udp = l4_ok & (proto == 17)
    icmp = l4_ok & ((proto == 1) | (proto == 58))
    known = tcp | udp | icmp
    udp_ok = np.zeros(n, bool)
    sport = np.zeros(n, I64)
    dport = np.zeros(n, I64)
    if known.any():
        h = _At(b, l4, known, 20)
        av = cap - l4
        tu = (tcp | udp) & (av >= 4)
        sport, dport = h.be16(0), h.be16(2)
        cols["sport"] = (sport, tu)
        cols["dport"] = (dport, tu)
        cols["seq"] = (h.be32(4), tcp & (av >= 8))
        cols["ack"] = (h.be32(8), tcp & (av >= 12))
        b12 = h.u8(12)
        cols["tcp_flags"] = (((b12 & 1) << 8) | h.u8(13), tcp & (av >= 14))
        cols["window"] = (h.be16(14), tcp & (av >= 16))
        # ICMP type and code are the bytes that TCP/UDP use for the source port.
        cols["icmp_type"] = (sport >> 8, icmp & (av >= 1))
        cols["icmp_code"] = (sport & 0xFF, icmp & (av >= 2))
        doff = (b12 >> 4) * 4
        payload = np.where(tcp, payload - doff, np.where(udp | icmp, payload - 8, payload))
        payload_ok = ip & (payload >= 0) & ~(tcp & ((av < 13) | (doff < 20)))
        udp_ok = udp & (av >= 8)
    cols["payload_len"] = (payload, payload_ok)

    # -- DNS (RFC 1035 §4.1) --------------------------------------------------------------------
    text = None
    dns = udp_ok & (_isin(sport, DNS_PORTS) | _isin(dport, DNS_PORTS)) & (cap - l4 >= 20)
    if dns.any():
        # DNS is a minority of frames: read its header for those rows only, then scatter.
        drows = np.flatnonzero(dns)
        base = l4[drows] + 8
        dh = b.window(drows, base, 12)
        flags = be16(dh, 2)
        for name, vals in (
            ("dns_id", be16(dh, 0)),
            ("dns_qr", flags >> 15),
            ("dns_rcode", flags & 15),
        ):
            full = np.zeros(n, I64)
            full[drows] = vals
            cols[name] = (full.astype(bool) if name == "dns_qr" else full, dns)
        q = be16(dh, 4) >= 1
        text = _qnames(b, cols, drows[q], base[q] + 12)

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
    for k in range(128):  # RFC 1035 §3.1: a name is at most 255 bytes
        act = np.flatnonzero(alive & ~done)
        if act.shape[0] == 0:
            break
        inside = cur[act] < cap[rows[act]]
        alive[act[~inside]] = False
        act = act[inside]
        ln = buf[pos[rows[act]] + cur[act]].astype(I64)
        end = ln == 0
        fin = act[end]
        done[fin] = True
        if k == 0 and fin.shape[0]:
            dots_row.append(fin)
            dots_at.append(cur[fin])
        lab = act[~end]
        ll = ln[~end]
        # Compression pointers (RFC 1035 §4.1.4) in a question name and reserved label
        # types are left undecoded.
        bad = (ll >= 64) | (cur[lab] + 1 + ll - start[lab] > 254)
        alive[lab[bad]] = False
        lab, ll = lab[~bad], ll[~bad]
        if k > 0:
            dots_row.append(lab)
            dots_at.append(cur[lab])
        cur[lab] = cur[lab] + 1 + ll
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
