"""Properties of the HTTP sans-IO pieces: headers, decoders under any chunking, line splitting, params."""

from __future__ import annotations

import gzip
import zlib
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st
from strategies_http import chunked, header_fields, params

from wirekit.http.decoding import make_decoder
from wirekit.http.models import Headers, _LineSplitter, _Rechunker
from wirekit.http.urls import URL


@given(header_fields)
def test_headers_keep_every_field_in_order(fields: list[tuple[str, str]]) -> None:
    h = Headers(fields)
    assert h.multi_items() == fields
    for name, _ in fields:
        assert h.get_list(name.upper()) == [v for k, v in fields if k.lower() == name.lower()]
        assert name.swapcase() in h


@given(st.binary(max_size=5000), st.data(), st.sampled_from(["gzip", "deflate", "raw-deflate"]))
def test_decoders_are_chunking_independent(body: bytes, data: st.DataObject, coding: str) -> None:
    if coding == "gzip":
        wire = gzip.compress(body)
    elif coding == "deflate":
        wire = zlib.compress(body)
    else:
        wire = zlib.compress(body)[2:-4]
    dec = make_decoder("gzip" if coding == "gzip" else "deflate")
    assert dec is not None
    out = b"".join(dec.decode(piece) for piece in data.draw(chunked(wire))) + dec.flush()
    assert out == body


@given(st.text(alphabet="ab \r\n", max_size=200), st.data())
def test_line_splitter_matches_splitlines(text: str, data: st.DataObject) -> None:
    enc = text.encode()
    pieces = [p.decode() for p in data.draw(chunked(enc))]
    splitter = _LineSplitter()
    lines = [line for p in pieces for line in splitter.push(p)] + list(splitter.finish())
    assert lines == text.splitlines()


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(1, 64))
def test_rechunker_sizes(chunks: list[bytes], size: int) -> None:
    r = _Rechunker(size)
    out = [c for piece in chunks for c in r.push(piece)] + list(r.finish())
    assert b"".join(out) == b"".join(chunks)
    assert all(len(c) == size for c in out[:-1])


@given(params)
def test_params_round_trip_through_a_url(pairs: list[tuple[str, str]]) -> None:
    url = URL("http://h/p").with_params(pairs)
    assert parse_qsl(url.query, keep_blank_values=True) == pairs
