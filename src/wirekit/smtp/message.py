"""Build messages on the stdlib email package, and turn them into envelope + wire bytes."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path

from ..errors import ConfigError, LocalProtocolError

__all__ = ["build_message", "message_bytes"]


def build_message(
    *,
    sender: str,
    to: str | Sequence[str],
    subject: str = "",
    text: str | None = None,
    html: str | None = None,
    cc: str | Sequence[str] = (),
    bcc: str | Sequence[str] = (),
    reply_to: str | None = None,
    attachments: Iterable[str | os.PathLike[str] | tuple[str, bytes, str]] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """An :class:`EmailMessage` with a text and/or HTML body and attachments.

    ``attachments`` are paths, or ``(filename, data, mime_type)`` tuples. Date and
    Message-ID are set. Bcc is kept on the object (the client sends it as envelope only).

    Raises:
        ConfigError: an attachment file cannot be read.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join([to] if isinstance(to, str) else to)
    if cc:
        msg["Cc"] = ", ".join([cc] if isinstance(cc, str) else cc)
    if bcc:
        msg["Bcc"] = ", ".join([bcc] if isinstance(bcc, str) else bcc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain if domain.isascii() else "localhost")
    for k, v in (headers or {}).items():
        msg[k] = v
    if text is None and html is None:
        text = ""
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is not None:
            msg.add_alternative(html, subtype="html")
        else:
            msg.set_content(html, subtype="html")
    for item in attachments:
        if isinstance(item, tuple):
            name, data, mime = item
        else:
            path = Path(item)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ConfigError(f"cannot read attachment {path}: {exc.strerror or exc}") from exc
            name = path.name
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=name
        )
    return msg


def message_bytes(
    message: EmailMessage | bytes | str,
    sender: str | None = None,
    recipients: Sequence[str] | None = None,
) -> tuple[str, list[str], bytes]:
    """Envelope sender, recipients and wire bytes for ``message``.

    For an EmailMessage, missing envelope parts come from From/Sender and To/Cc/Bcc
    (Bcc is removed from the bytes); non-ASCII addresses use the SMTPUTF8 policy.

    Raises:
        LocalProtocolError: no sender or no recipients could be determined.
    """
    if isinstance(message, EmailMessage):
        if sender is None:
            froms = getaddresses(message.get_all("Sender", []) or message.get_all("From", []))
            sender = froms[0][1] if froms else None
        if recipients is None:
            fields = [
                *message.get_all("To", []),
                *message.get_all("Cc", []),
                *message.get_all("Bcc", []),
            ]
            recipients = [a for _, a in getaddresses([str(f) for f in fields]) if a]
        utf8 = not (sender or "").isascii() or not all(r.isascii() for r in recipients)
        if "Bcc" in message:
            message = _copy_without_bcc(message)
        data = message.as_bytes(policy=SMTPUTF8.clone(linesep="\r\n") if utf8 else SMTP)
    elif isinstance(message, str):
        data = message.encode("utf-8")
    else:
        data = bytes(message)
    if sender is None:
        raise LocalProtocolError("no envelope sender: pass sender= or set From")
    if not recipients:
        raise LocalProtocolError("no recipients: pass recipients= or set To/Cc/Bcc")
    return sender, list(recipients), data


def _copy_without_bcc(message: EmailMessage) -> EmailMessage:
    import copy

    clone = copy.copy(message)
    del clone["Bcc"]
    return clone
