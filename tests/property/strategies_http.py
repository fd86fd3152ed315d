"""Hypothesis strategies for HTTP: header fields, query params, bodies split into chunks."""

from __future__ import annotations

from hypothesis import strategies as st

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: RFC 9110 field names (tokens)
header_name = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=20)
#: field values: visible ASCII and inner spaces/tabs (outer whitespace is not significant)
header_value = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
).map(str.strip)
header_fields = st.lists(st.tuples(header_name, header_value), max_size=12)

param_key = st.text(min_size=1, max_size=10)
params = st.lists(st.tuples(param_key, st.text(max_size=10)), max_size=8)


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at random places (every concatenation gives ``data`` back)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    pieces, last = [], 0
    for c in cuts:
        pieces.append(data[last:c])
        last = c
    pieces.append(data[last:])
    return pieces
