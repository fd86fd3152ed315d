"""Hypothesis strategies for FTP: reply texts, addresses, file names."""

from __future__ import annotations

from hypothesis import strategies as st

reply_codes = st.integers(100, 599)
reply_line = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=60
)
reply_lines = st.lists(reply_line, min_size=1, max_size=6)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ports = st.integers(1, 65535)
# names a server may list: no "/" or NUL, no newlines, not "." or ".."
file_names = st.text(
    alphabet=st.characters(blacklist_characters="/\x00\r\n", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
).filter(lambda n: n not in (".", "..") and n.strip() == n and n != "")
