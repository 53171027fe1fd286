"""The e-mail document (MIME) of a message. The email notifier sends it and the file drop
writes it as ``.eml``: one builder, so the file an operator opens in a mail client is the
mail a reviewer would have received.

Shape: ``text/plain`` alone; ``multipart/alternative`` (text, then HTML) when the message
has HTML; both inside ``multipart/mixed`` when it has attachments. Text parts are
quoted-printable UTF-8, so the mail passes relays that do not speak 8BITMIME. The
Message-ID is derived from the message key: a message sent twice (a crash between sending
and recording it) carries the same Message-ID, and mail clients show it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.message import Message as _Header
from email.utils import format_datetime, getaddresses, parseaddr

from monitor.alerts.notifiers.base import Message

MESSAGE_ID_DOMAIN = "asn-monitor"
DEFAULT_SUBJECT_PREFIX = "[asn-monitor]"


#: CRLF line ends for SMTP; header lines may run to RFC 5322's hard limit of 998 characters
#: because the standard library's folding at 78 moves a whole subject that contains
#: brackets or parentheses to a continuation line, and readers then show a leading space.
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


def message_id(key: str) -> str:
    """``<first 32 hex digits of sha256(key)@asn-monitor>``: the same key, the same id."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{MESSAGE_ID_DOMAIN}>"


def check_address(value: str) -> str:
    """``value`` when it is one address (``nama@contoh.go.id`` or ``Nama <nama@...>``);
    ValueError otherwise (for settings validators)."""
    pairs = getaddresses([value])
    if len(pairs) != 1 or "@" not in pairs[0][1] or any(c in value for c in "\r\n"):
        raise ValueError(f"alamat e-mail {value!r} tidak sah")
    return value


def envelope_address(value: str) -> str:
    """The bare address of ``Nama <nama@contoh.go.id>``, for the SMTP envelope."""
    return parseaddr(value)[1]


def subject_line(subject: str, prefix: str = "") -> str:
    """One line (a header cannot hold a line break), with the prefix in front."""
    return " ".join(f"{prefix} {subject}".split())


def _media_type(value: str, data: bytes) -> tuple[str, str, dict[str, str]]:
    header = _Header()
    header["Content-Type"] = value
    params = {k: str(v) for k, v in header.get_params(failobj=[])[1:]}
    maintype = header.get_content_maintype()
    if maintype == "text" and "charset" not in params:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            params["charset"] = "utf-8"
    return maintype, header.get_content_subtype(), params


def build(
    message: Message,
    *,
    sender: str,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    now: datetime | None = None,
) -> EmailMessage:
    """The mail for ``message``. Bcc recipients belong to the envelope only, never here.
    ``now`` (timezone-aware) is the Date header; the current time when omitted."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    mime = EmailMessage(policy=SMTP_POLICY)
    mime["Subject"] = subject_line(message.subject, subject_prefix)
    mime["From"] = sender
    if to:
        mime["To"] = ", ".join(to)
    if cc:
        mime["Cc"] = ", ".join(cc)
    mime["Date"] = format_datetime(now or datetime.now(UTC))
    mime["Message-ID"] = message_id(message.key)
    # RFC 3834: an automatic message; vacation responders do not answer it
    mime["Auto-Submitted"] = "auto-generated"
    mime["X-ASN-Monitor-Kind"] = message.kind
    mime.set_content(message.text, cte="quoted-printable")
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, subtype, params = _media_type(attachment.media_type, attachment.data)
        mime.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.name,
            params=params,
        )
    return mime
