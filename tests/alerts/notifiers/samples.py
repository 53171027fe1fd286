"""Messages as the digest and the notices render them, for the notifier tests."""

from __future__ import annotations

from monitor.alerts.notifiers.base import Attachment, Message

__all__ = ["Attachment", "Message", "digest", "notice"]

CSV = "id,akun,kategori\n12,@budi_asn,Ajakan memilih\n13,@siti.asn,Menyebarkan kampanye\n"


def digest(key: str = "digest:2024-10-01:kantor", **changes: object) -> Message:
    """A daily digest: subject, text, HTML and the CSV of its alerts."""
    values: dict[str, object] = {
        "key": key,
        "kind": "digest",
        "subject": "Ringkasan harian 1 Oktober 2024 — 2 peringatan baru",
        "text": (
            "Ringkasan harian pemantauan netralitas ASN\n"
            "1. @budi_asn — Ajakan memilih pasangan calon (tinggi)\n"
            "2. @siti.asn — Menyebarkan materi kampanye (sedang) ✌️\n"
        ),
        "html": "<html><body><h1>Ringkasan harian</h1><p>2 peringatan baru ✌️</p></body></html>",
        "attachments": (
            Attachment("peringatan-2024-10-01.csv", "text/csv; charset=utf-8", CSV.encode()),
        ),
        "data": {"new": 2, "alert_ids": [12, 13]},
    }
    values.update(changes)
    return Message(**values)  # type: ignore[arg-type]


def notice(key: str = "notice:12:kantor") -> Message:
    """An immediate notice: text only."""
    return Message(
        key=key,
        kind="notice",
        subject="Peringatan kritis #12: @budi_asn",
        text="Peringatan #12 (kritis): @budi_asn mengajak memilih paslon 2.\nTinjau sekarang.",
        data={"alert_id": 12},
    )
