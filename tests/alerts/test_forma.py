"""Form A drafts: which alerts are the day's findings (confirmation day in WIB), what each
block carries, escaping, and the printed page checked in a real headless Chromium.

Alerts come from a real pipeline pass (tests/service/helpers.py) on SQLite and
PostgreSQL; reviews are written to the database directly (another person owns the review
commands), except one test that goes through monitor.alerts.lifecycle."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.alerts.forma import FormA, build_form_a, format_nip
from monitor.alerts.forma_render import render_form_a, write_form_a
from monitor.alerts.lifecycle import Confirm, Escalate, review
from monitor.service.components import build_collectors, build_decider
from monitor.service.pipeline import run_once
from monitor.settings import FormASettings, Settings, load_settings
from monitor.store import Store
from monitor.store.evidence import store_evidence_file
from monitor.store.models import AlertRow, DecisionRow, PersonRow, PostObservationRow, PostRow
from monitor.watchlist.sync import import_watchlist
from tests.conftest import post_line
from tests.service.helpers import make_project

DAY = date(2024, 11, 18)
RAISED = datetime(2024, 11, 18, 2, 0, tzinfo=UTC)  # 09.00 WIB
REVIEWED = datetime(2024, 11, 18, 5, 0, tzinfo=UTC)  # 12.00 WIB
NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)  # 10.00 WIB, two days later
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40

POSTS = [
    post_line(
        "1",
        "Ayo coblos nomor 2 ya <script>alert('x')</script>\nbaris kedua",
        author="@ani",
        created_at="2024-11-17T19:30:00+07:00",
        url="https://x.com/ani/status/1",
    ),
    post_line(
        "2",
        '=HYPERLINK("http://jahat.example") besok serangan fajar di posko 7',
        author="@budi",
        created_at="2024-11-17T20:00:00+07:00",
        url="https://x.com/budi/status/2",
    ),
    post_line("3", "ayo coblos nomor 1", author="@citra", created_at="2024-11-17T21:00:00+07:00"),
    post_line("4", "makan siang di warung", author="@dedi", created_at="2024-11-17T12:00:00+07:00"),
]


@dataclass
class Project:
    store: Store
    settings: Settings
    root: Path

    def alert(self, post_id: str) -> int:
        with self.store.session() as session:
            return session.scalars(
                select(AlertRow.id).join(PostRow).where(PostRow.post_id == post_id)
            ).one()

    def review(
        self,
        post_id: str,
        status: str = "confirmed",
        at: datetime = REVIEWED,
        reviewer: str = "Siti Pengawas",
        **extra: Any,
    ) -> int:
        """What ``alerts confirm`` records, written directly."""
        with self.store.session() as session:
            alert = session.scalars(
                select(AlertRow).join(PostRow).where(PostRow.post_id == post_id)
            ).one()
            alert.status, alert.reviewer, alert.reviewed_at = status, reviewer, at
            for key, value in extra.items():
                setattr(alert, key, value)
            return alert.id

    def form(self, day: date = DAY, **kwargs: Any) -> FormA:
        kwargs.setdefault("rule_bases", {})
        return build_form_a(
            self.store,
            day,
            self.settings.tz,
            kwargs.pop("form_settings", FormASettings()),
            now=NOW,
            generated_by="siti",
            **kwargs,
        )


def make_confirmable(root: Path, store: Store, posts: list[str] = POSTS) -> Project:
    """A real pipeline pass at RAISED over ``posts`` (campaign stage, Sukamaju registry)."""
    config = make_project(root, posts=posts, candidates=True)
    import_watchlist(store, root / "watchlist.csv")
    settings, doc = load_settings(config)
    run_once(
        store,
        build_collectors(settings, doc),
        build_decider(settings),
        batch_size=10,
        clock=lambda: RAISED,
    )
    return Project(store, settings, root)


@pytest.fixture
def project(tmp_path: Path, store: Store) -> Project:
    return make_confirmable(tmp_path, store)


def test_the_pipeline_raised_the_alerts_this_file_relies_on(project: Project) -> None:
    with project.store.session() as session:
        rows = session.execute(
            select(PostRow.post_id, DecisionRow.category, DecisionRow.stage, DecisionRow.route)
            .join(DecisionRow, DecisionRow.post_id == PostRow.id)
            .where(DecisionRow.flagged)
            .order_by(PostRow.post_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("1", "support", "campaign", "discipline"),
        ("2", "money_politics", "campaign", "criminal"),
        ("3", "support", "campaign", "discipline"),
    ]


@pytest.mark.parametrize(
    ("reviewed_at", "day", "included"),
    [
        (datetime(2024, 11, 17, 17, 0, tzinfo=UTC), date(2024, 11, 18), True),  # 00.00 WIB
        (datetime(2024, 11, 18, 16, 59, tzinfo=UTC), date(2024, 11, 18), True),  # 23.59 WIB
        (datetime(2024, 11, 18, 17, 0, tzinfo=UTC), date(2024, 11, 18), False),  # 19th WIB
        (datetime(2024, 11, 18, 17, 0, tzinfo=UTC), date(2024, 11, 19), True),
        (datetime(2024, 11, 17, 16, 59, tzinfo=UTC), date(2024, 11, 18), False),  # 17th WIB
    ],
    ids=["midnight-wib", "last-minute", "next-day-wib", "counted-next-day", "day-before-wib"],
)
def test_the_day_is_the_confirmation_day_in_wib(
    project: Project, reviewed_at: datetime, day: date, included: bool
) -> None:
    alert = project.review("1", at=reviewed_at)
    assert [f.alert_id for f in project.form(day).findings] == ([alert] if included else [])


@pytest.mark.parametrize(
    ("status", "included"),
    [("confirmed", True), ("escalated", True), ("dismissed", False), ("new", False)],
    ids=["confirmed", "escalated", "dismissed", "new"],
)
def test_only_confirmed_and_escalated_alerts_are_findings(
    project: Project, status: str, included: bool
) -> None:
    project.review("1", status=status)
    assert len(project.form().findings) == (1 if included else 0)


def test_a_finding_carries_what_the_reviewer_needs(project: Project) -> None:
    alert = project.review("1", note="akun resmi, sudah dicek")
    with project.store.session() as session:
        person = session.scalars(select(PersonRow).where(PersonRow.name == "Orang 0")).one()
        person.nip = "198305122009011003"
    [item] = project.form().findings
    assert (item.alert_id, item.number, item.category, item.status) == (
        alert,
        1,
        "support",
        "confirmed",
    )
    assert item.peristiwa == "Dukungan kepada pasangan calon: Ajakan memilih"
    assert (item.platform, item.post_url) == ("x", "https://x.com/ani/status/1")
    assert item.posted_at.isoformat() == "2024-11-17T19:30:00+07:00"
    assert item.raised_at.isoformat() == "2024-11-18T09:00:00+07:00"
    assert item.reviewed_at.isoformat() == "2024-11-18T12:00:00+07:00"
    assert item.deadline.isoformat() == "2024-11-25T09:00:00+07:00"
    assert item.days_left == 5  # 20 -> 25 November
    t = item.terlapor
    assert (t.name, t.nip, t.position, t.agency, t.employment, t.region, t.handle) == (
        "Orang 0",
        "19830512 200901 1 003",
        "Staf",
        "Dinas 0",
        "PNS",
        "Kabupaten Sukamaju",
        "@ani",
    )
    assert (item.stage, item.route, item.destination) == ("campaign", "discipline", "bkn")
    assert item.payload_sha256 and item.collector == "feed"
    assert (item.reviewer, item.review_note) == ("Siti Pengawas", "akun resmi, sudah dicek")
    assert item.export_command == f"asn-monitor alerts export {alert}"


def test_a_finding_confirmed_and_forwarded_through_the_lifecycle(project: Project) -> None:
    """The real review path: confirm, then escalate; the draft keeps the confirmation."""
    alert = project.alert("1")
    review(project.store, alert, Confirm(note="dicek"), reviewer="Rina", now=REVIEWED)
    escalated_at = datetime(2024, 11, 19, 2, 0, tzinfo=UTC)
    review(
        project.store,
        alert,
        Escalate(to="BKN", ref="123/PM.00/2024"),
        reviewer="Rina",
        now=escalated_at,
    )
    assert project.form(date(2024, 11, 19)).findings == ()
    [item] = project.form().findings
    assert (item.status, item.reviewer, item.reviewed_at) == ("escalated", "Rina", REVIEWED)
    html = render_form_a(project.form())
    assert "Telah diteruskan ke BKN (Badan Kepegawaian Negara) pada Selasa, 19 November" in html
    assert "nomor 123/PM.00/2024" in html


def test_section_three_counts_the_day(project: Project) -> None:
    project.review("1")
    project.review("2", status="escalated", escalated_to="Sentra Gakkumdu")
    project.review("3", status="dismissed")
    form = project.form()
    assert (form.accounts_checked, form.checks) == (5, 5)
    assert (form.raised, len(form.findings), form.escalated, form.dismissed) == (3, 2, 1, 1)
    assert form.stages == ["Masa kampanye"]
    html = render_form_a(form)
    assert "5 akun media sosial yang dipantau berhasil diperiksa (5 kali pemeriksaan)" in html
    assert "Sebanyak 3 peringatan baru muncul" in html
    assert "mengonfirmasi 2 peringatan sebagai dugaan pelanggaran (1 di antaranya telah " in html
    assert "menolak 1 peringatan" in html
    sentence = "Orang 0 (Staf, Dinas 0) mengunggah di X (Twitter) pada Minggu, 17 November 2024"
    assert sentence in html


def test_another_day_counts_nothing(project: Project) -> None:
    form = project.form(date(2024, 11, 19))
    assert (form.accounts_checked, form.raised, form.dismissed, form.findings) == (0, 0, 0, ())


@pytest.mark.parametrize(
    ("match_basis", "rule_bases", "expected", "default"),
    [
        (None, {"support.appeal": ["SKB 2022 Lampiran II B"]}, ("SKB 2022 Lampiran II B",), False),
        (["PP 94/2021 Ps. 5 huruf n"], {}, ("PP 94/2021 Ps. 5 huruf n",), False),
        (
            ["PP 94/2021 Ps. 5 huruf n"],
            {"support.appeal": ["lama"]},
            ("PP 94/2021 Ps. 5 huruf n",),
            False,
        ),
        (
            None,
            {},
            (
                "UU 20/2023 Ps. 9(2) dan Ps. 24(1) huruf d",
                "UU 10/2016 Ps. 70(1) dan Ps. 71(1)",
                "SKB 2022 Lampiran II",
                "PP 94/2021 Ps. 5 huruf n",
            ),
            True,
        ),
    ],
    ids=["from-rule-file", "from-decision", "decision-wins", "category-default"],
)
def test_legal_basis(
    project: Project,
    match_basis: list[str] | None,
    rule_bases: dict[str, list[str]],
    expected: tuple[str, ...],
    default: bool,
) -> None:
    project.review("1")
    if match_basis is not None:
        with project.store.session() as session:
            decision = session.scalars(
                select(DecisionRow).join(PostRow).where(PostRow.post_id == "1")
            ).one()
            decision.matches = [{**m, "legal_basis": match_basis} for m in decision.matches]
    [item] = project.form(rule_bases=rule_bases).findings
    assert (item.legal_basis, item.basis_is_default) == (expected, default)
    html = render_form_a(project.form(rule_bases=rule_bases))
    assert ("dasar hukum bawaan kategori" in html) is default


@pytest.mark.parametrize(
    ("post_id", "route", "confirmed_as", "employment", "destination", "outside_bkn"),
    [
        ("1", "discipline", "support", "pns", "bkn", False),
        ("1", "ethics", "support", "pppk", "bkn", False),
        ("1", "discipline", "support", "polri", "bkn", True),
        ("1", "discipline", "attack", "village", "bkn", True),
        ("2", "criminal", "money_politics", "pns", "gakkumdu", False),
        ("2", None, "money_politics", "pns", "gakkumdu", False),  # no election calendar
        ("1", None, "support", "pns", "bkn", False),
        ("1", "discipline", "money_politics", "pns", "gakkumdu", False),  # re-categorised
        ("1", "criminal", "support", "pns", "gakkumdu", False),  # a rule marked it criminal
    ],
    ids=[
        "discipline",
        "ethics",
        "polri",
        "village-head",
        "criminal",
        "money-no-calendar",
        "support-no-calendar",
        "reviewer-says-money",
        "criminal-rule",
    ],
)
def test_where_a_finding_goes(
    project: Project,
    post_id: str,
    route: str | None,
    confirmed_as: str,
    employment: str,
    destination: str,
    outside_bkn: bool,
) -> None:
    project.review(post_id, category=confirmed_as)
    with project.store.session() as session:
        post = session.scalars(select(PostRow).where(PostRow.post_id == post_id)).one()
        decision = session.scalars(select(DecisionRow).where(DecisionRow.post_id == post.id))
        decision.one().route = route
        assert post.account is not None
        post.account.person.employment_type = employment
    [item] = project.form().findings
    assert (item.destination, item.outside_bkn) == (destination, outside_bkn)
    assert ("bukan ASN: periksa instansi yang berwenang" in render_form_a(project.form())) is (
        outside_bkn
    )


def test_edits_deletions_and_screenshots_are_shown_with_dates(
    project: Project, tmp_path: Path
) -> None:
    project.review("1")
    shot = tmp_path / "layar <1>.png"
    shot.write_bytes(PNG)
    with project.store.session() as session:
        post = session.scalars(select(PostRow).where(PostRow.post_id == "1")).one()
        store_evidence_file(session, post.id, shot, project.settings.var_path / "evidence")
        session.add_all(
            [
                PostObservationRow(
                    post_id=post.id,
                    kind="edited",
                    observed_at=datetime(2024, 11, 18, 3, 0, tzinfo=UTC),
                    text="teks sesudah diubah",
                    collector="feed",
                ),
                PostObservationRow(
                    post_id=post.id,
                    kind="deleted",
                    observed_at=datetime(2024, 11, 19, 1, 15, tzinfo=UTC),
                    collector="feed",
                ),
            ]
        )
    [item] = project.form().findings
    assert [(c.kind, c.at.isoformat()) for c in item.changes] == [
        ("edited", "2024-11-18T10:00:00+07:00"),
        ("deleted", "2024-11-19T08:15:00+07:00"),
    ]
    [screenshot] = item.screenshots
    html = render_form_a(project.form())
    assert "unggahan diubah; perubahan terlihat Senin, 18 November 2024 10.00 WIB" in html
    assert "teks sesudah diubah" in html
    assert "tidak lagi tampil (dihapus atau disembunyikan) sejak Selasa, 19 November 2024" in html
    assert screenshot.sha256 in html and "layar &lt;1&gt;.png" in html
    assert item.payload_sha256 in html


def test_post_text_is_escaped(project: Project) -> None:
    project.review("1")
    html = render_form_a(project.form())
    for loaded in ("<script", "<link", "src=", "@import", "url("):  # self-contained, no JS
        assert loaded not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\nbaris kedua" in html


def test_no_findings_still_renders_sections_one_to_three(project: Project) -> None:
    html = render_form_a(project.form())
    for heading in ("I. Data Pengawas", "II. Kegiatan Pengawasan", "III. Uraian Singkat"):
        assert heading in html
    assert "Tidak ada dugaan pelanggaran yang dikonfirmasi pada tanggal ini." in html
    assert "Dugaan pelanggaran 1" not in html
    assert "DRAF &mdash; diperiksa dan ditandatangani pengawas" in html
    assert "FORMULIR A: LAPORAN HASIL PENGAWASAN" in html and "Senin, 18 November 2024" in html


@pytest.mark.parametrize(
    ("settings", "present", "fills"),
    [
        # lembaga, the four lines of section I (no stage: nothing confirmed), the place in
        # section II, and the place and name of the signature
        (FormASettings(), [], 8),
        (
            FormASettings(
                lembaga="Bawaslu Kabupaten Sukamaju",
                pengawas_nama="Rina Lestari",
                pengawas_jabatan="Staf Pengawasan",
                nomor_surat_perintah="001/PM.01/K.JR-01/11/2024",
                tempat="Sukamaju",
            ),
            [
                "Bawaslu Kabupaten Sukamaju",
                "Rina Lestari",
                "Staf Pengawasan",
                "001/PM.01/K.JR-01/11/2024",
                "Sukamaju, 18 November 2024",
            ],
            1,  # only the stage: nothing confirmed that day
        ),
    ],
    ids=["blank-for-handwriting", "from-settings"],
)
def test_data_pengawas_from_settings_or_blank_lines(
    project: Project, settings: FormASettings, present: list[str], fills: int
) -> None:
    html = render_form_a(project.form(form_settings=settings))
    for text in present:
        assert text in html
    assert html.count('class="fill"') == fills


@pytest.mark.parametrize(
    ("nip", "shown"),
    [
        ("198305122009011003", "19830512 200901 1 003"),
        ("12345", "12345"),
        (None, ""),
        ("", ""),
    ],
    ids=["18-digits", "odd", "none", "empty"],
)
def test_nip_is_written_as_on_letters(nip: str | None, shown: str) -> None:
    assert format_nip(nip) == shown


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    return found


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_the_draft_prints_as_a4_pages_in_chromium(tmp_path: Path) -> None:
    """Rendering does not depend on the database: SQLite only."""
    browser = chromium()
    db = Store(f"sqlite:///{tmp_path / 'print.db'}")
    db.upgrade()
    project = make_confirmable(tmp_path / "project", db)
    project.review("1")
    project.review("2", status="escalated")
    html, _ = write_form_a(project.form(), tmp_path / "out")
    pdf, png = tmp_path / "form-a.pdf", tmp_path / "form-a.png"
    common = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run"]
    for extra in (
        [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"],
        [f"--screenshot={png}", "--window-size=1240,1754"],
    ):
        subprocess.run(
            [*common, *extra, html.as_uri()], capture_output=True, timeout=60, check=True
        )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    assert pages == 3  # sections I-III, then one page per finding (each fits on one)
    assert png_size(png.read_bytes()) == (1240, 1754)
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    db.dispose()
