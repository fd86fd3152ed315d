"""Stores (Maildir, mbox, memory) and the inbox reader over them."""

from __future__ import annotations

import pytest

from wirekit.errors import ConfigError
from wirekit.smtp.inbox import Inbox
from wirekit.smtp.message import build_message, message_bytes
from wirekit.smtp.store import MaildirStore, MboxStore, MemoryStore, open_store


def sample() -> bytes:
    msg = build_message(
        sender="Alice <alice@x.test>",
        to=["bob@y.test"],
        subject="Grüße",
        text="From the start\nhello\n",
        html="<p>hi</p>",
        attachments=[("data.bin", b"\x00\x01\x02", "application/octet-stream")],
    )
    return message_bytes(msg)[2]


@pytest.fixture(params=["maildir", "mbox", "memory"])
def store(request, tmp_path):
    if request.param == "maildir":
        return MaildirStore(tmp_path / "md")
    if request.param == "mbox":
        return MboxStore(tmp_path / "mail.mbox")
    return MemoryStore()


def test_save_list_read_delete_purge(store):
    a = store.save("alice@x.test", ["bob@y.test"], sample())
    b = store.save(
        "", ["c@y.test", "d@y.test"], b"Subject: two\r\n\r\nFrom here\r\n>From there\r\n"
    )
    items = store.list()
    assert [i.id for i in items] == [a, b]
    raw = store.read(b).replace(b"\r\n", b"\n")
    assert (
        raw
        == b"Return-Path: <>\nX-Wirekit-Rcpt: <c@y.test>, <d@y.test>\nSubject: two\n\nFrom here\n>From there\n"
    )
    store.delete(a)
    assert [i.id for i in store.list()] == ([b] if not isinstance(store, MboxStore) else ["1"])
    assert store.purge() == 1
    assert store.list() == []
    with pytest.raises(KeyError):
        store.read("nope")


def test_inbox_parses_text_html_attachments(store):
    store.save("alice@x.test", ["bob@y.test"], sample())
    box = Inbox(store)
    (summary,) = box.list()
    assert (
        summary.subject == "Grüße"
        and summary.attachments == 1
        and summary.sender == "Alice <alice@x.test>"
    )
    detail = box.get(summary.id)
    assert detail.envelope_from == "alice@x.test" and detail.envelope_to == ["bob@y.test"]
    assert detail.text == "From the start\nhello\n"
    assert detail.html.strip() == "<p>hi</p>"
    att, data = box.attachment(summary.id, 1)
    assert (att.filename, data) == ("data.bin", b"\x00\x01\x02")
    assert [s.id for s in box.search("HELLO")] == [summary.id]
    assert box.search("absent") == []
    with pytest.raises(KeyError):
        box.get("missing")


def test_maildir_ids_are_unique_and_files_lf(tmp_path):
    s = MaildirStore(tmp_path / "md", fsync=False)
    ids = {s.save("a@x", ["b@y"], b"x\r\n") for _ in range(100)}
    assert len(ids) == 100
    assert b"\r" not in s.read(next(iter(ids)))


def test_open_store(tmp_path):
    assert isinstance(open_store("memory"), MemoryStore)
    assert isinstance(open_store(tmp_path / "md"), MaildirStore)
    assert isinstance(open_store(f"mbox:{tmp_path / 'x'}"), MboxStore)
    with pytest.raises(ConfigError):
        open_store("x", "tape")
    with pytest.raises(ConfigError):
        MaildirStore(tmp_path / "none", create=False)


def test_message_bytes_envelope_from_headers():
    msg = build_message(
        sender="a@x.test", to="b@y.test", cc="c@y.test", bcc="secret@y.test", subject="s", text="t"
    )
    sender, rcpts, data = message_bytes(msg)
    assert sender == "a@x.test" and rcpts == ["b@y.test", "c@y.test", "secret@y.test"]
    assert b"secret@y.test" not in data and b"\r\n" in data
    assert "Bcc" in msg  # the caller's message is untouched
    sender, rcpts, data = message_bytes(
        build_message(sender="jörg@x.test", to="b@y.test", text="ü")
    )
    assert "jörg@x.test".encode() in data


def test_build_message_attachment_from_path(tmp_path):
    p = tmp_path / "report.csv"
    p.write_text("a,b\n1,2\n")
    msg = build_message(sender="a@x.test", to="b@y.test", text="see file", attachments=[p])
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "report.csv" and att.get_content_type() == "text/csv"
    with pytest.raises(ConfigError):
        build_message(sender="a@x.test", to="b@y.test", attachments=[tmp_path / "missing"])
