"""Generate the packets bench captures: a deterministic traffic mix, cached under bench/.work/."""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import columnar_frames as cf

WORK = Path(__file__).parent / ".work" / "packets"

#: (share of frames, kind); the mix of research/packets.md §1
MIX = [
    (56.0, "tcp4"),
    (12.0, "dns4"),
    (5.0, "udp4"),
    (8.0, "tcp6"),
    (2.0, "dns6"),
    (7.0, "vlan"),
    (5.0, "icmp4"),
    (0.5, "icmp6"),
    (3.0, "arp"),
    (1.0, "frag4"),
    (0.3, "opt4"),
    (0.2, "hbh6"),
]


def _frames(rng: random.Random, count: int) -> list[bytes]:
    hosts4 = [
        f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(1500)
    ]
    hosts6 = [f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}" for _ in range(300)]
    names = [f"host{i}.example{rng.randrange(50)}.com" for i in range(400)]
    kinds = [k for _, k in MIX]
    weights = [w for w, _ in MIX]
    out: list[bytes] = []
    while len(out) < count:
        kind = rng.choices(kinds, weights)[0]
        a, b = rng.sample(hosts4, 2)
        a6, b6 = rng.sample(hosts6, 2)
        sp, dp = (
            rng.randrange(1024, 65536),
            rng.choice([80, 443, 22, 8080, rng.randrange(1, 65536)]),
        )
        pay = bytes(
            rng.getrandbits(8) for _ in range(rng.choice([0, 0, 40, 100, 300, 512, 1000, 1460]))
        )
        flags = rng.choice([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14])
        if kind == "tcp4":
            out.append(
                cf.eth(
                    cf.ipv4(
                        cf.tcp(
                            sp,
                            dp,
                            seq=rng.getrandbits(32),
                            ack=rng.getrandbits(32),
                            flags=flags,
                            payload=pay,
                        ),
                        6,
                        src=a,
                        dst=b,
                    ),
                    0x0800,
                )
            )
        elif kind == "dns4":
            q = cf.dns(
                rng.randrange(65536),
                rng.choice(names),
                rng.choice([1, 28, 5]),
                response=rng.random() < 0.5,
            )
            out.append(cf.eth(cf.ipv4(cf.udp(sp, 53, q), 17, src=a, dst=b), 0x0800))
        elif kind == "udp4":
            out.append(
                cf.eth(
                    cf.ipv4(cf.udp(sp, rng.choice([443, 123]), pay[:1200]), 17, src=a, dst=b),
                    0x0800,
                )
            )
        elif kind == "tcp6":
            out.append(
                cf.eth(cf.ipv6(cf.tcp(sp, dp, flags=flags, payload=pay), 6, src=a6, dst=b6), 0x86DD)
            )
        elif kind == "dns6":
            q = cf.dns(rng.randrange(65536), rng.choice(names), 28)
            out.append(cf.eth(cf.ipv6(cf.udp(sp, 53, q), 17, src=a6, dst=b6), 0x86DD))
        elif kind == "vlan":
            inner = (
                cf.ipv4(cf.tcp(sp, dp, flags=flags, payload=pay), 6, src=a, dst=b)
                if rng.random() < 0.7
                else cf.ipv4(cf.udp(sp, dp, pay[:500]), 17, src=a, dst=b)
            )
            out.append(cf.eth(inner, 0x0800, vlans=(rng.randrange(1, 4095),)))
        elif kind == "icmp4":
            out.append(
                cf.eth(cf.ipv4(cf.icmp(rng.choice([8, 0]), 0, pay[:56]), 1, src=a, dst=b), 0x0800)
            )
        elif kind == "icmp6":
            out.append(cf.eth(cf.ipv6(cf.icmp(128, 0, pay[:56]), 58, src=a6, dst=b6), 0x86DD))
        elif kind == "arp":
            out.append(
                cf.eth(
                    struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + b"\x02" * 20 + b"\x00" * 18, 0x0806
                )
            )
        elif kind == "frag4":
            body = cf.udp(sp, dp, pay + b"z" * 1600)
            ident = rng.randrange(65536)
            out.append(cf.eth(cf.ipv4(body[:1480], 17, src=a, dst=b, ident=ident, mf=True), 0x0800))
            out.append(
                cf.eth(cf.ipv4(body[1480:], 17, src=a, dst=b, ident=ident, frag=1480), 0x0800)
            )
        elif kind == "opt4":
            out.append(
                cf.eth(
                    cf.ipv4(
                        cf.udp(sp, dp, pay[:100]), 17, src=a, dst=b, options=b"\x94\x04\x00\x00"
                    ),
                    0x0800,
                )
            )
        else:
            out.append(
                cf.eth(
                    cf.ipv6(
                        b"\x8f\x00" + b"\x00" * 26,
                        58,
                        src=a6,
                        dst="ff02::16",
                        ext=((0, b"\x05\x02\x00\x00\x01\x00"),),
                    ),
                    0x86DD,
                )
            )
    return out[:count]


def capture(count: int, *, seed: int = 1) -> Path:
    """Path of a cached pcap of ``count`` frames of the mix (built on first use)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"mix_{count}.pcap"
    if path.exists():
        return path
    rng = random.Random(seed)
    pool = _frames(rng, min(count, 20000))
    nprng = np.random.default_rng(seed)
    pick = nprng.integers(0, len(pool), count)
    ts = 1_700_000_000_000_000 + np.cumsum(nprng.integers(1, 2000, count))  # µs
    rec = struct.Struct("<IIII")
    parts = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for t, i in zip(ts.tolist(), pick.tolist(), strict=True):
        f = pool[i]
        parts.append(rec.pack(t // 1_000_000, t % 1_000_000, len(f), len(f)))
        parts.append(f)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(parts))
    tmp.rename(path)
    return path
