"""Hypothesis strategies for SMTP: message bodies, replies, addresses, ESMTP parameters."""

from __future__ import annotations

from hypothesis import strategies as st

from wirekit.smtp.protocol import Reply

# a text line: any byte except CR and LF (8-bit included), at most 200 bytes
line = st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
#: message bodies with CRLF line ends, including lines that start with dots
body = st.lists(
    st.one_of(line, line.map(lambda b: b"." + b), st.just(b"."), st.just(b"..")), max_size=30
).map(lambda lines: b"".join(ln + b"\r\n" for ln in lines))

atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_+", min_size=1, max_size=12)
address = st.builds(lambda u, d: f"{u}@{d}.test", atom, atom)
utf8_address = st.builds(
    lambda u, d: f"{u}@{d}.test", st.text(alphabet="äöüßжя用户", min_size=1, max_size=5), atom
)

reply_text = st.lists(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    min_size=1,
    max_size=4,
).map("\n".join)
enhanced = st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 9), st.integers(0, 99))
reply = st.builds(
    lambda code, text, enh: Reply(
        code, text, f"{code // 100}.{enh}" if enh and code // 100 in (2, 4, 5) else None
    ),
    st.integers(200, 599),
    reply_text,
    st.one_of(st.none(), enhanced),
)

param_key = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=10
).filter(lambda k: k.replace("-", ""))
param_value = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="= "),
    min_size=1,
    max_size=10,
)
params = st.dictionaries(param_key, st.one_of(st.none(), param_value), max_size=5)
