"""An alert raised by an edited version of a post shows that version everywhere: the
digest, the immediate notice, ``alerts show``, the evidence bundle, Form A, the training
feedback, grouping and a reopen. Real pipeline runs (tests/alerts/helpers.py) on SQLite
and PostgreSQL: @eka posts a neutral text, then edits it into an appeal."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.alerts.digest import build_daily_digest
from monitor.alerts.evidence import export_bundle
from monitor.alerts.feedback import export_feedback
from monitor.alerts.forma import build_form_a
from monitor.alerts.forma_render import render_form_a
from monitor.alerts.lifecycle import Confirm, Reopen, review
from monitor.alerts.notices import render_notice
from monitor.alerts.render import render_markdown
from monitor.cli.alerts_cmd import alerts_group
from monitor.cli.context import Context
from monitor.domain import sha256_text
from monitor.service.components import build_collectors, build_decider
from monitor.service.notifying import alert_hook
from monitor.service.pipeline import run_once
from monitor.settings import FormASettings, load_settings
from monitor.store import Store
from monitor.store.alerts import flagged_version
from monitor.store.models import AlertRow, PostObservationRow
from monitor.store.reviews import load_alert
from tests.alerts.helpers import POSTS, T0, add_posts, raise_alerts
from tests.alerts.test_evidence import check_hashes, unzip
from tests.conftest import post_line

WIB = ZoneInfo("Asia/Jakarta")
FIRST = "rapat koordinasi pagi ini"
EDITED = "ayo coblos nomor 2 ya"
EDIT_AT = T0 + timedelta(hours=2)  # 12.00 WIB, 20 November 2024
REVIEW_AT = T0 + timedelta(hours=3)


def line(text: str) -> str:
    return post_line("7", text, author="@eka", url="https://x.com/eka/status/7")


@pytest.fixture
def edit_alert(store: Store, tmp_path: Path) -> int:
    """The id of @eka's alert: raised when the edit of post 7 was seen and decided."""
    ids = raise_alerts(store, tmp_path, posts=[*POSTS, line(FIRST)])
    assert "7" not in ids
    ids = add_posts(store, tmp_path, [line(EDITED)], EDIT_AT)
    return ids["7"]


def edit_payload() -> str:
    return line(EDITED)


def observation_id(store: Store) -> int:
    with store.session() as session:
        return session.scalars(
            select(PostObservationRow.id).where(PostObservationRow.kind == "edited")
        ).one()


def test_the_alert_is_about_the_edit(store: Store, edit_alert: int) -> None:
    with store.session() as session:
        alert = load_alert(session, edit_alert)
        assert alert is not None
        version = flagged_version(alert)
        assert (alert.observation_id, alert.created_at) == (observation_id(store), EDIT_AT)
        assert (alert.category, alert.severity) == ("support", "high")
        assert alert.decision.flagged is False  # the first text's decision stays as it was
        assert alert.post.text == FIRST
    assert (version.text, version.observed_at, version.edited) == (EDITED, EDIT_AT, True)
    assert version.payload_sha256 == sha256_text(edit_payload())
    [match] = version.decision.matches
    assert (match["rule_id"], match["spans"]) == ("support.appeal", [[4, 16, "coblos nomor"]])


def test_the_digest_quotes_and_highlights_the_edit(store: Store, edit_alert: int) -> None:
    digest = build_daily_digest(store, date(2024, 11, 20), WIB, now=EDIT_AT)
    [item] = [i for i in digest.items if i.alert_id == edit_alert]
    assert item.text == EDITED
    assert item.segments == [("ayo ", False), ("coblos nomor", True), (" 2 ya", False)]
    assert item.edited_seen_at == EDIT_AT.astimezone(WIB)
    assert [r.rule_id for r in item.rules] == ["support.appeal"]
    markdown = render_markdown(digest)
    assert (
        "- **Disunting:** teks di bawah adalah versi suntingan yang terlihat "
        "Rabu, 20 November 2024 12.00 WIB"
    ) in markdown
    assert f"> {EDITED}" in markdown
    assert FIRST not in markdown
    others = [i for i in digest.items if i.alert_id != edit_alert]
    assert others and all(i.edited_seen_at is None for i in others)


def test_the_notice_quotes_the_edit(store: Store, edit_alert: int) -> None:
    with store.session() as session:
        alert = load_alert(session, edit_alert)
        assert alert is not None
        text = render_notice(alert, WIB).text.splitlines()
    assert f"> {EDITED}" in text
    assert "Aturan: support.appeal (Ajakan memilih)" in text
    assert (
        "Disunting: teks di bawah adalah versi suntingan yang terlihat Rabu, 20 November 2024 "
        "12.00 WIB; teks pertama ada di bukti lengkap."
    ) in text
    assert f"> {FIRST}" not in text


def test_alerts_show_highlights_the_edit_and_shows_the_first_text(
    store: Store, database_url: str, tmp_path: Path, edit_alert: int
) -> None:
    result = CliRunner().invoke(
        alerts_group,
        ["show", str(edit_alert)],
        obj=Context(str(tmp_path / "monitor.yaml")),
        env={"MONITOR_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    number = observation_id(store)
    assert (
        f"  tentang      : VERSI SUNTINGAN yang terlihat 2024-11-20 12.00 WIB "
        f"(pengamatan #{number}), bukan teks pertama"
    ) in lines
    start = lines.index(
        "  teks yang ditandai: versi suntingan yang terlihat 2024-11-20 12.00 WIB "
        "(kata yang cocok dalam [ ]):"
    )
    assert lines[start + 1 : start + 4] == [
        "    │ ayo [coblos nomor] 2 ya",
        "  teks pertama (diambil 2024-11-20 10.00 WIB; bukan yang ditandai):",
        f"    │ {FIRST}",
    ]
    assert "  2024-11-20 12.00 WIB disunting (feed, yang ditandai)" in lines
    assert f"    SHA-256 {sha256_text(edit_payload())} (cocok)" in lines
    assert any(
        "aturan support.appeal: Ajakan memilih" in x and '"coblos nomor"' in x for x in lines
    )


def test_the_bundle_says_which_version_flagged(
    store: Store, tmp_path: Path, edit_alert: int
) -> None:
    bundle = export_bundle(
        store,
        edit_alert,
        tmp_path / "ekspor",
        evidence_dir=tmp_path / "var" / "evidence",
        tz=WIB,
        actor="siti",
        now=EDIT_AT + timedelta(hours=1),
    )
    _, files = unzip(bundle.path)
    manifest = check_hashes(files)
    assert bundle.problems == []
    data = json.loads(files["alert.json"])
    number = observation_id(store)
    expected = {
        "version": "edited",
        "observation_id": number,
        "observed_at": EDIT_AT.astimezone(WIB).isoformat(),
        "text": EDITED,
        "payload_sha256": sha256_text(edit_payload()),
        "file": "observations/01-edited.txt",
    }
    assert data["flagged"] == expected
    assert manifest["flagged"] == {
        k: expected[k] for k in ("version", "observation_id", "payload_sha256", "file")
    }
    flagged_file = files["observations/01-edited.txt"]
    assert hashlib.sha256(flagged_file).hexdigest() == data["flagged"]["payload_sha256"]
    assert flagged_file.decode("utf-8") == edit_payload()
    assert [(o["id"], o["kind"], o["payload_intact"]) for o in data["observations"]] == [
        (number, "edited", True)
    ]
    assert data["post"]["text"] == FIRST  # the first text stays the post's evidence
    assert hashlib.sha256(files["payload.txt"]).hexdigest() == data["post"]["payload_sha256"]
    [match] = data["decision"]["matches"]
    assert match["rule_id"] == "support.appeal"
    assert match["spans"] == [[4, 16, "coblos nomor"]]
    readme = files["README.txt"].decode("utf-8")
    assert "Peringatan ini tentang VERSI SUNTINGAN unggahan, bukan teks pertamanya:" in readme
    assert f"observations/01-edited.txt (pengamatan #{number}" in readme


def test_form_a_feedback_and_reopen_use_the_edit(
    store: Store, tmp_path: Path, edit_alert: int
) -> None:
    review(
        store, edit_alert, Confirm(category="attack", note="jelas"), reviewer="siti", now=REVIEW_AT
    )
    form = build_form_a(
        store, date(2024, 11, 20), WIB, FormASettings(), now=REVIEW_AT, generated_by="siti"
    )
    [finding] = [f for f in form.findings if f.alert_id == edit_alert]
    assert (finding.text, finding.first_text) == (EDITED, FIRST)
    assert finding.edited_seen_at == EDIT_AT.astimezone(WIB)
    assert finding.edited_payload_sha256 == sha256_text(edit_payload())
    assert [r.rule_id for r in finding.rules] == ["support.appeal"]
    html = render_form_a(form)
    assert "Teks yang ditandai: unggahan setelah diubah" in html
    assert sha256_text(edit_payload()) in html

    out = io.StringIO()
    export_feedback(store, out)
    [row] = [json.loads(x) for x in out.getvalue().splitlines() if json.loads(x)["id"] == "7"]
    assert (row["text"], row["label"]) == (EDITED, "attack")

    review(store, edit_alert, Reopen(note="salah kategori"), reviewer="siti", now=REVIEW_AT)
    with store.session() as session:
        alert = session.get(AlertRow, edit_alert)
        assert alert is not None
        assert alert.category == "support"  # the edit's category, not the first text's None


MATERIAL = "ayo bapak ibu semua coblos nomor 2 pada tanggal 27 november nanti"


def test_an_edit_groups_with_the_same_material(store: Store, tmp_path: Path) -> None:
    """@dedi posts campaign material; @eka edits a neutral post into the same material:
    grouping compares the edited text."""
    raise_alerts(store, tmp_path, posts=[post_line("8", MATERIAL, author="@dedi"), line(FIRST)])
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(line(MATERIAL + " ya") + "\n")
    settings, doc = load_settings(tmp_path / "monitor.yaml")
    run_once(
        store,
        build_collectors(settings, doc),
        build_decider(settings),
        batch_size=10,
        clock=lambda: EDIT_AT,
        on_alerts=alert_hook(settings, {}),
    )
    with store.session() as session:
        rows = session.execute(
            select(AlertRow.id, AlertRow.group_id, AlertRow.observation_id).order_by(AlertRow.id)
        ).all()
    [(dedi, dedi_group, original), (_, eka_group, edit)] = rows
    assert (original, edit) == (None, observation_id(store))
    assert dedi_group == eka_group == dedi
