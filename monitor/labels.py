"""How codes read in Bahasa Indonesia, for everything a person reads."""

from __future__ import annotations

CATEGORY = {
    "support": "Dukungan kepada pasangan calon",
    "campaign_share": "Menyebarkan materi kampanye",
    "attack": "Menyerang/merugikan pasangan calon",
    "money_politics": "Politik uang",
    "political_neutral": "Politik netral",
    "non_political": "Bukan politik",
}

SEVERITY = {"critical": "Kritis", "high": "Tinggi", "medium": "Sedang", "low": "Rendah"}

STATUS = {
    "new": "Baru",
    "confirmed": "Dikonfirmasi",
    "dismissed": "Ditolak",
    "escalated": "Diteruskan",
}

PLATFORM = {
    "x": "X (Twitter)",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "telegram": "Telegram",
    "mastodon": "Mastodon",
    "threads": "Threads",
}

#: Election stages (monitor.rules.calendar.Stage).
STAGE = {
    "pre_candidacy": "Sebelum penetapan paslon (bakal calon)",
    "candidates_named": "Paslon ditetapkan, sebelum kampanye",
    "campaign": "Masa kampanye",
    "quiet": "Masa tenang",
    "voting_day": "Hari pemungutan suara",
    "after": "Sesudah pemungutan suara",
}

#: Where a finding goes (monitor.rules.calendar.Route).
ROUTE = {
    "ethics": "Kode etik (sanksi moral)",
    "discipline": "Disiplin (PP 94/2021)",
    "criminal": "Pidana pemilihan (Gakkumdu)",
}

#: Coverage of a watched account (monitor.store.coverage).
COVERAGE = {
    "ok": "terpantau",
    "silent": "sepi (tidak ada unggahan baru)",
    "never": "belum pernah diperiksa",
    "failing": "gagal diperiksa",
    "unreachable": "tidak terjangkau",
    "uncovered": "tanpa pengumpul (hanya laporan manual)",
}

#: Why a poll failed (monitor.errors.CollectError.kind).
ERROR_KIND = {
    "rate_limited": "dibatasi laju",
    "transient": "gangguan sementara",
    "malformed": "jawaban rusak",
    "unavailable": "akun hilang/privat",
    "broken": "jalur rusak",
    "error": "galat",
}

#: The circuit breaker of a collector.
BREAKER = {"closed": "berjalan", "open": "dihentikan sementara", "half_open": "dicoba ulang"}

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def label(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return "-"
    return table.get(code, code)
