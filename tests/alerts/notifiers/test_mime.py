"""monitor.alerts.notifiers.mime: the mail document shared by the email and file
notifiers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from monitor.alerts.notifiers import mime
from monitor.alerts.notifiers.base import Attachment
from tests.alerts.notifiers import samples

SENDER = "monitor@sukamaju.go.id"


def parse(document: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(document.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("message", "shape"),
    [
        pytest.param(samples.notice(), ["text/plain"], id="text-only"),
        pytest.param(
            samples.digest(attachments=()),
            ["multipart/alternative", "text/plain", "text/html"],
            id="text-and-html",
        ),
        pytest.param(
            samples.digest(html=None),
            ["multipart/mixed", "text/plain", "text/csv"],
            id="text-and-attachment",
        ),
        pytest.param(
            samples.digest(),
            ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/csv"],
            id="everything",
        ),
    ],
)
def test_shape(message: samples.Message, shape: list[str]) -> None:
    mail = parse(mime.build(message, sender=SENDER))
    assert [part.get_content_type() for part in mail.walk()] == shape


def test_date_is_the_given_time() -> None:
    wib = timezone(timedelta(hours=7))
    now = datetime(2024, 10, 1, 7, 0, tzinfo=wib)
    mail = mime.build(samples.notice(), sender=SENDER, now=now)
    assert mail["Date"] == "Tue, 01 Oct 2024 07:00:00 +0700"
    with pytest.raises(ValueError, match="timezone-aware"):
        mime.build(samples.notice(), sender=SENDER, now=datetime(2024, 10, 1))


def test_message_id_is_derived_from_the_key() -> None:
    key = "digest:2024-10-01:kantor"
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert mime.message_id(key) == f"<{digest[:32]}@asn-monitor>"
    assert mime.message_id(key) == mime.message_id(key)


def test_message_ids_differ_per_key() -> None:
    keys = ["digest:2024-10-01:kantor", "digest:2024-10-01:arsip", "notice:12:kantor"]
    assert len({mime.message_id(k) for k in keys}) == len(keys)


@pytest.mark.parametrize(
    ("media_type", "data", "content_type", "charset"),
    [
        pytest.param("text/csv; charset=utf-8", b"a,b\n", "text/csv", "utf-8", id="csv-utf8"),
        pytest.param("text/csv", "é,ü\n".encode(), "text/csv", "utf-8", id="csv-charset-added"),
        pytest.param("text/plain", b"\xff\xfe", "text/plain", None, id="not-utf8-no-charset"),
        pytest.param("application/pdf", b"%PDF-1.7", "application/pdf", None, id="pdf"),
    ],
)
def test_attachment_types(
    media_type: str, data: bytes, content_type: str, charset: str | None
) -> None:
    message = samples.digest(attachments=(Attachment("lampiran ✌️.bin", media_type, data),))
    mail = parse(mime.build(message, sender=SENDER))
    attachment = next(mail.iter_attachments())
    assert attachment.get_content_type() == content_type
    assert attachment.get_param("charset") == charset
    assert attachment.get_filename() == "lampiran ✌️.bin"
    assert attachment.get_payload(decode=True) == data


def test_subject_is_one_line_with_prefix() -> None:
    message = samples.notice()
    message = samples.Message(message.key, message.kind, "Peringatan\nkritis  #12", "teks")
    mail = parse(mime.build(message, sender=SENDER, subject_prefix="[asn-monitor]"))
    assert mail["Subject"] == "[asn-monitor] Peringatan kritis #12"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("monitor@sukamaju.go.id", True, id="bare"),
        pytest.param("Monitor ASN <monitor@sukamaju.go.id>", True, id="with-name"),
        pytest.param("Pengawas Ã <p@sukamaju.go.id>", True, id="non-ascii-name"),
        pytest.param("monitor", False, id="no-at"),
        pytest.param("a@x.id, b@x.id", False, id="two"),
        pytest.param("a@x.id\r\nBcc: c@x.id", False, id="header-injection"),
    ],
)
def test_check_address(value: str, ok: bool) -> None:
    if ok:
        assert mime.check_address(value) == value
    else:
        with pytest.raises(ValueError, match="tidak sah"):
            mime.check_address(value)


def test_default_date_is_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    mail = parse(mime.build(samples.notice(), sender=SENDER))
    date = mail["Date"].datetime
    assert date.tzinfo is not None and date >= before
