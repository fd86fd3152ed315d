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


def be16(h: np.ndarray, o: int) -> np.ndarray:
    return (h[:, o].astype(I64) << 8) | h[:, o + 1]


def be32(h: np.ndarray, o: int) -> np.ndarray:
    return np.ascontiguousarray(h[:, o : o + 4]).view(">u4")[:, 0].astype(I64)


def _isin(a: np.ndarray, values: tuple[int, ...]) -> np.ndarray:
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


class _Out:
    """Full-length columns with validity masks, filled in by row index."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, Column] = {}

    def put(
        self,
        name: str,
        dtype: Any,
        idx: np.ndarray,
        values: np.ndarray,
        valid: np.ndarray | None = None,
    ) -> None:
        if name not in self.cols:
            self.cols[name] = (np.zeros(self.n, dtype), np.zeros(self.n, bool))
        vals, ok = self.cols[name]
        if valid is not None:
            idx = idx[valid]
            values = values[valid]
        vals[idx] = values
        assert ok is not None
        ok[idx] = True

    def empty(self, name: str, dtype: Any) -> None:
        if name not in self.cols:
            self.cols[name] = (np.zeros(self.n, dtype), np.zeros(self.n, bool))


def decode(buf: np.ndarray, fr: Frames) -> dict[str, Any]:
    """Decode one batch of frames; returns name -> (values, valid) plus address/text parts."""
    b = _Batch(buf, fr)
    n = b.n
    out = _Out(n)
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
            ti = np.flatnonzero(tag)
            out.put("vlan", np.uint16, ti, be16(blk, 14)[ti] & 0x0FFF)
            t = np.where(tag, be16(blk, 16), t)
            l3e[ti] = 18
            tag2 = tag & _isin(t, VLAN_TPIDS) & (cap >= 22)
            if tag2.any():
                t2 = np.flatnonzero(tag2)
                out.put("vlan_inner", np.uint16, t2, be16(blk, 18)[t2] & 0x0FFF)
                t = np.where(tag2, be16(blk, 20), t)
                l3e[t2] = 22
        # An 802.3 length field (< 0x600) is not an ethertype: LLC follows, no network layer.
        ethernet_ii = eth & (t >= 0x600)
        et = np.where(ethernet_ii, t, et)
        l3 = np.where(ethernet_ii, l3e, l3)
        mac_dst = np.where(eth, mac(0), mac_dst)
        mac_src = np.where(eth, mac(6), mac_src)
        mac_dst_ok |= eth
        mac_src_ok |= eth
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
        # NULL is in the capturing host's byte order, LOOP in network order (BSD AF_* values).
        fam = np.where(lt == 0, np.where(fam_le < 256, fam_le, fam_be), fam_be)
        et = np.where(
            null & (fam == 2), ET_IPV4, np.where(null & _isin(fam, (10, 24, 28, 30)), ET_IPV6, et)
        )
        l3 = np.where(null, 4, l3)
    has_et = (l3 >= 0) & (et > 0)
    out.put("ethertype", np.uint16, np.flatnonzero(has_et), et[has_et])

    # -- network layer --------------------------------------------------------------------------
    proto = np.full(n, -1, I64)
    l4 = np.full(n, -1, I64)
    ip_end = np.zeros(n, I64)
    l4_ok = np.zeros(n, bool)
    addr: dict[str, Any] = {}

    i4 = np.flatnonzero((et == ET_IPV4) & (l3 >= 0))
    if i4.shape[0]:
        rel = l3[i4]
        h = b.window(i4, rel, 20)
        ihl = (h[:, 0] & 15).astype(I64)
        good = ((cap[i4] - rel) >= 20) & ((h[:, 0] >> 4) == 4) & (ihl >= 5)
        i4, rel, h, ihl = i4[good], rel[good], h[good], ihl[good]
        tot = be16(h, 2)
        ff = be16(h, 6)
        frag = (ff & 0x1FFF) * 8
        out.put("ip_version", np.uint8, i4, np.full(i4.shape[0], 4, U8))
        out.put("ttl", np.uint8, i4, h[:, 8])
        out.put("ip_id", np.uint32, i4, be16(h, 4))
        out.put("ip_flags", np.uint8, i4, (ff >> 13) & 7)
        out.put("frag_offset", np.uint16, i4, frag)
        proto[i4] = h[:, 9]
        l4[i4] = rel + ihl * 4
        # A zero total length happens with TSO on the capturing host: trust the wire length.
        ip_end[i4] = np.where(tot == 0, fr.length[i4], rel + tot)
        l4_ok[i4] = (frag == 0) & ((tot == 0) | (tot >= ihl * 4))
        addr["v4"] = (i4, be32(h, 12).astype(np.uint32), be32(h, 16).astype(np.uint32))

    i6 = np.flatnonzero((et == ET_IPV6) & (l3 >= 0))
    if i6.shape[0]:
        rel = l3[i6]
        h = b.window(i6, rel, 40)
        good = ((cap[i6] - rel) >= 40) & ((h[:, 0] >> 4) == 6)
        i6, rel, h = i6[good], rel[good], h[good]
        plen = be16(h, 4)
        out.put("ip_version", np.uint8, i6, np.full(i6.shape[0], 6, U8))
        out.put("ttl", np.uint8, i6, h[:, 7])
        ip_end[i6] = np.where(plen == 0, fr.length[i6], rel + 40 + plen)
        addr["v6"] = (i6, np.ascontiguousarray(h[:, 8:24]), np.ascontiguousarray(h[:, 24:40]))
        nh = h[:, 6].astype(I64)
        cur = rel + 40
        alive = np.ones(i6.shape[0], bool)
        ok6 = np.ones(i6.shape[0], bool)
        frag6 = np.zeros(i6.shape[0], I64)
        for _ in range(
            16
        ):  # RFC 8200 §4.1: each extension header at most once (twice for dest-opts)
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
                frag6[fa] = fo
                out.put("frag_offset", np.uint16, i6[fa], fo)
                out.put("ip_flags", np.uint8, i6[fa], ef[:, 3] & 1)
                out.put("ip_id", np.uint32, i6[fa], be32(ef, 4))
                stop = fa[fo != 0]
                alive[stop] = False
                ok6[stop] = False
            nh[act] = e[:, 0]
            cur[act] = cur[act] + hlen
        proto[i6] = nh
        l4[i6] = cur
        l4_ok[i6] = ok6 & ~_isin(nh, EXT6)
        # A non-first fragment whose header walk stopped still has a fragment offset; the
        # unfragmented ones have frag_offset 0 and no flags.
        nf = np.flatnonzero(frag6 == 0)
        out.empty("frag_offset", np.uint16)
        _fo_vals, fo_ok = out.cols["frag_offset"]
        assert fo_ok is not None
        unset = i6[nf][~fo_ok[i6[nf]]]
        fo_ok[unset] = True
        fl_vals = out.cols.get("ip_flags")
        if fl_vals is None:
            out.empty("ip_flags", np.uint8)
            fl_vals = out.cols["ip_flags"]
        assert fl_vals[1] is not None
        fl_vals[1][unset] = True

    ip = np.flatnonzero(proto >= 0)
    out.put("proto", np.uint8, ip, proto[ip])

    # -- transport layer ------------------------------------------------------------------------
    li = np.flatnonzero(l4_ok & _isin(proto, (6, 17, 1, 58)))
    payload = np.zeros(n, I64)
    payload_ok = np.zeros(n, bool)
    # For IP packets without a decoded L4 header, the payload is everything after the IP headers.
    payload[ip] = ip_end[ip] - l4[ip]
    payload_ok[ip] = payload[ip] >= 0
    sport = np.zeros(n, I64)
    dport = np.zeros(n, I64)
    udp_ok = np.zeros(n, bool)
    if li.shape[0]:
        rel = l4[li]
        h = b.window(li, rel, 20)
        av = cap[li] - rel
        p = proto[li]
        tcp, udp, icmp = p == 6, p == 17, (p == 1) | (p == 58)
        tu = (tcp | udp) & (av >= 4)
        sp, dp = be16(h, 0), be16(h, 2)
        out.put("sport", np.uint16, li, sp, tu)
        out.put("dport", np.uint16, li, dp, tu)
        sport[li], dport[li] = sp, dp
        out.put("seq", np.uint32, li, be32(h, 4), tcp & (av >= 8))
        out.put("ack", np.uint32, li, be32(h, 8), tcp & (av >= 12))
        out.put(
            "tcp_flags",
            np.uint16,
            li,
            ((h[:, 12].astype(I64) & 1) << 8) | h[:, 13],
            tcp & (av >= 14),
        )
        out.put("window", np.uint16, li, be16(h, 14), tcp & (av >= 16))
        out.put("icmp_type", np.uint8, li, h[:, 0], icmp & (av >= 1))
        out.put("icmp_code", np.uint8, li, h[:, 1], icmp & (av >= 2))
        doff = (h[:, 12] >> 4).astype(I64) * 4
        hdr = np.where(tcp, doff, 8)
        pl = ip_end[li] - rel - hdr
        payload[li] = pl
        payload_ok[li] = (pl >= 0) & ~(tcp & ((av < 13) | (doff < 20)))
        udp_ok[li] = udp & (av >= 8)
    pi = np.flatnonzero(payload_ok)
    out.put("payload_len", np.uint32, pi, payload[pi])

    # -- DNS (RFC 1035 §4.1) --------------------------------------------------------------------
    dns = np.flatnonzero(udp_ok & (_isin(sport, DNS_PORTS) | _isin(dport, DNS_PORTS)))
    text = None
    if dns.shape[0]:
        base = l4[dns] + 8
        h = b.window(dns, base, 12)
        good = (cap[dns] - base) >= 12
        dns, base, h = dns[good], base[good], h[good]
        flags = be16(h, 2)
        out.put("dns_id", np.uint16, dns, be16(h, 0))
        out.put("dns_qr", np.bool_, dns, (flags >> 15).astype(bool))
        out.put("dns_rcode", np.uint8, dns, flags & 15)
        qd = be16(h, 4)
        q = qd >= 1
        text = _qnames(b, out, dns[q], base[q] + 12)
    out.empty("dns_qr", np.bool_)

    res: dict[str, Any] = dict(out.cols)
    res["eth_src"] = (mac_src, mac_src_ok)
    res["eth_dst"] = (mac_dst, mac_dst_ok)
    res["addr"] = addr
    res["dns_qname"] = text
    return res


def _qnames(
    b: _Batch, out: _Out, rows: np.ndarray, start: np.ndarray
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
        out.put("dns_qtype", np.uint16, rows[qi], (buf[at].astype(I64) << 8) | buf[at + 1])
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
