"""Reading captured mail from a store: summaries, parsed messages (text, HTML, attachments), search."""

from __future__ import annotations

import builtins
import datetime
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage

from .store import Store, StoredMessage

__all__ = ["Attachment", "Inbox", "MessageDetail", "MessageSummary"]


@dataclass
class MessageSummary:
    """One captured message as listed by ``wirekit smtp inbox list`` and the web API."""

    id: str
    received: str
    sender: str
    to: str
    subject: str
    size: int
    attachments: int


@dataclass
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class MessageDetail:
    """A parsed message: envelope, headers, text and HTML bodies, attachments."""

    summary: MessageSummary
    envelope_from: str
    envelope_to: list[str]
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)


def _parse(raw: bytes) -> EmailMessage:
    if b"\r\n" in raw:
        raw = raw.replace(b"\r\n", b"\n")  # stores differ in line ends; readers see LF
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError):  # a malformed header must not break the listing
        value = msg.get_all(name, failobj=[""])[0] if msg.get_all(name) else ""
    return str(value) if value is not None else ""


def _parts(
    msg: EmailMessage,
) -> tuple[str | None, str | None, list[tuple[Attachment, EmailMessage]]]:
    text = html = None
    attachments: list[tuple[Attachment, EmailMessage]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        if disposition != "attachment" and ctype == "text/plain" and text is None:
            text = _content(part)
        elif disposition != "attachment" and ctype == "text/html" and html is None:
            html = _content(part)
        else:
            payload = part.get_payload(decode=True) or b""
            assert isinstance(payload, bytes)
            name = part.get_filename() or f"part-{len(attachments) + 1}"
            attachments.append((Attachment(len(attachments) + 1, name, ctype, len(payload)), part))
    return text, html, attachments


def _content(part: EmailMessage) -> str:
    try:
        value = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


class Inbox:
    """A read view over a :class:`~wirekit.smtp.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _summary(self, item: StoredMessage, msg: EmailMessage) -> MessageSummary:
        _, _, attachments = _parts(msg)
        received = datetime.datetime.fromtimestamp(item.received, datetime.UTC).isoformat(
            timespec="seconds"
        )
        return MessageSummary(
            id=item.id,
            received=received,
            sender=_header(msg, "From") or _header(msg, "Return-Path").strip("<>"),
            to=_header(msg, "To") or _header(msg, "X-Wirekit-Rcpt"),
            subject=_header(msg, "Subject"),
            size=item.size,
            attachments=len(attachments),
        )

    def list(self) -> list[MessageSummary]:
        """Every message, oldest first."""
        out = []
        for item in self.store.list():
            try:
                raw = self.store.read(item.id)
            except (KeyError, FileNotFoundError):
                continue  # purged meanwhile
            out.append(self._summary(item, _parse(raw)))
        return out

    def _item(self, msg_id: str) -> StoredMessage:
        for item in self.store.list():
            if item.id == msg_id:
                return item
        raise KeyError(msg_id)

    def raw(self, msg_id: str) -> bytes:
        """Raises: KeyError: no such message."""
        return self.store.read(msg_id)

    def get(self, msg_id: str) -> MessageDetail:
        """The parsed message.

        Raises:
            KeyError: no such message.
        """
        item = self._item(msg_id)
        msg = _parse(self.store.read(msg_id))
        text, html, attachments = _parts(msg)
        rcpts = [
            r.strip().strip("<>") for r in _header(msg, "X-Wirekit-Rcpt").split(",") if r.strip()
        ]
        headers = [
            (k, str(v)) for k, v in msg.items() if k not in ("Return-Path", "X-Wirekit-Rcpt")
        ]
        return MessageDetail(
            summary=self._summary(item, msg),
            envelope_from=_header(msg, "Return-Path").strip("<>"),
            envelope_to=rcpts,
            headers=headers,
            text=text,
            html=html,
            attachments=[a for a, _ in attachments],
        )

    def attachment(self, msg_id: str, index: int) -> tuple[Attachment, bytes]:
        """Attachment ``index`` (1-based) and its decoded bytes.

        Raises:
            KeyError: no such message or attachment.
        """
        msg = _parse(self.store.read(msg_id))
        for att, part in _parts(msg)[2]:
            if att.index == index:
                payload = part.get_payload(decode=True) or b""
                return att, payload if isinstance(payload, bytes) else b""
        raise KeyError(index)

    def search(self, query: str) -> builtins.list[MessageSummary]:
        """Messages whose sender, recipients, subject or text contain ``query`` (case-insensitive)."""
        q = query.lower()
        out = []
        for item in self.store.list():
            try:
                raw = self.store.read(item.id)
            except (KeyError, FileNotFoundError):
                continue
            msg = _parse(raw)
            text, html, _ = _parts(msg)
            hay = " ".join(
                [
                    _header(msg, "From"),
                    _header(msg, "To"),
                    _header(msg, "Subject"),
                    _header(msg, "X-Wirekit-Rcpt"),
                    text or "",
                    html or "",
                ]
            ).lower()
            if q in hay:
                out.append(self._summary(item, msg))
        return out

    def delete(self, msg_id: str) -> None:
        self.store.delete(msg_id)

    def purge(self) -> int:
        """Delete every message; returns how many."""
        return self.store.purge()

    def __len__(self) -> int:
        return len(self.store.list())
