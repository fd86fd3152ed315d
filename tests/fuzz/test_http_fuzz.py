"""Fuzz smoke for HTTP parsers: bad input raises only the documented errors (never anything else)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wirekit.errors import ConfigError, DecodeError
from wirekit.http.auth import parse_challenge
from wirekit.http.cookies import parse_set_cookie
from wirekit.http.decoding import make_decoder
from wirekit.http.models import Headers, Response
from wirekit.http.urls import URL

BASE = URL("http://example.org/a/b")


@given(
    st.binary(max_size=300),
    st.sampled_from(["gzip", "deflate", "br", "zstd", "gzip, br", "deflate, gzip"]),
)
def test_decoders_raise_only_decode_error(data: bytes, coding: str) -> None:
    dec = make_decoder(coding, max_size=10_000)
    if dec is None:
        return
    try:
        dec.decode(data)
        dec.flush()
    except DecodeError:
        pass


@given(st.text(max_size=80))
def test_url_raises_only_config_error(text: str) -> None:
    try:
        URL(text)
    except ConfigError:
        pass


@given(st.text(max_size=80))
def test_redirect_location_join(text: str) -> None:
    try:
        BASE.join(text)
    except ConfigError:
        pass


@given(st.text(max_size=120))
def test_set_cookie_and_challenge_never_raise(text: str) -> None:
    parse_set_cookie(text, BASE, 0.0)
    parse_challenge(text)


@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=5))
def test_headers_raise_only_config_error(fields: list[tuple[str, str]]) -> None:
    try:
        Headers(fields)
    except ConfigError:
        pass


@given(st.binary(max_size=200), st.text(max_size=40))
def test_response_text_never_raises(body: bytes, ctype: str) -> None:
    try:
        r = Response(200, headers={"Content-Type": ctype}, content=body)
    except ConfigError:
        return
    assert isinstance(r.text, str)
