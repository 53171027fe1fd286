"""monitor.alerts.notifiers.filedrop: messages written into a folder, atomically, one set
of files per message however often it is delivered."""

from __future__ import annotations

import stat
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monitor import plugins
from monitor.alerts.notifiers import mime
from monitor.alerts.notifiers.base import Attachment
from monitor.alerts.notifiers.filedrop import FileDropNotifier, FileDropSettings, safe_name
from monitor.errors import NotifyError
from tests.alerts.notifiers import samples

KEY = "digest:2024-10-01T00:00:00+07:00:arsip"
STEM = safe_name(KEY)


def notifier(base_dir: Path, **settings: Any) -> FileDropNotifier:
    values: dict[str, Any] = {"dir": "var/kotak-keluar"}
    values.update(settings)
    return FileDropNotifier(
        FileDropSettings.model_validate(values), instance="arsip", base_dir=base_dir
    )


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_registered_as_a_plugin() -> None:
    assert plugins.load("notifiers", "file") is FileDropNotifier


def test_writes_mail_html_text_and_attachment(tmp_path: Path) -> None:
    message = samples.digest(KEY)
    notifier(tmp_path).send(message)

    folder = tmp_path / "var" / "kotak-keluar"
    assert listing(folder) == sorted(
        f"{STEM}.{ext}" for ext in ("eml", "html", "txt", "peringatan-2024-10-01.csv")
    )
    assert (folder / f"{STEM}.txt").read_text(encoding="utf-8") == message.text
    assert (folder / f"{STEM}.html").read_text(encoding="utf-8") == message.html
    assert (folder / f"{STEM}.peringatan-2024-10-01.csv").read_bytes() == samples.CSV.encode()

    mail = message_from_bytes((folder / f"{STEM}.eml").read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == mime.message_id(KEY)
    assert mail["Subject"] == f"[asn-monitor] {message.subject}"
    assert mail["From"] == "asn-monitor <asn-monitor@localhost>"
    assert [p.get_content_type() for p in mail.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/csv",
    ]
    csv = next(mail.iter_attachments())
    assert csv.get_payload(decode=True) == samples.CSV.encode()


def test_files_are_for_the_owner_and_group(tmp_path: Path) -> None:
    notifier(tmp_path, dir=".").send(samples.notice())
    modes = {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {0o640}


@pytest.mark.parametrize(
    ("settings", "message", "extensions"),
    [
        pytest.param({"formats": ["eml"], "attachments": False}, samples.digest(KEY), ["eml"],
                     id="eml-only"),
        pytest.param({"formats": ["txt"]}, samples.digest(KEY),
                     ["peringatan-2024-10-01.csv", "txt"], id="text-and-csv"),
        pytest.param({"formats": [], "attachments": True}, samples.digest(KEY),
                     ["peringatan-2024-10-01.csv"], id="attachments-only"),
        pytest.param({}, samples.notice(KEY), ["eml", "txt"], id="notice-has-no-html"),
        pytest.param({"formats": ["txt", "txt"]}, samples.notice(KEY), ["txt"],
                     id="repeated-format"),
    ],
)  # fmt: skip
def test_formats(
    tmp_path: Path, settings: dict[str, Any], message: samples.Message, extensions: list[str]
) -> None:
    notifier(tmp_path, dir=".", **settings).send(message)
    assert listing(tmp_path) == sorted(f"{STEM}.{ext}" for ext in extensions)


def test_writing_again_replaces_the_same_files(tmp_path: Path) -> None:
    drop = notifier(tmp_path, dir=".")
    drop.send(samples.digest(KEY))
    first = listing(tmp_path)
    drop.send(samples.digest(KEY))  # delivered again after a crash
    assert listing(tmp_path) == first  # one set, no temporary files left
    drop.send(samples.digest("digest:2024-10-02T00:00:00+07:00:arsip"))
    assert len(listing(tmp_path)) == 2 * len(first)


@pytest.mark.parametrize(
    ("key", "readable"),
    [
        pytest.param("notice:12:arsip", "notice_12_arsip", id="colons"),
        pytest.param("digest:2024-10-01T00:00:00+07:00:x", "digest_2024-10-01T00_00_00_07_00_x",
                     id="timestamp"),
        pytest.param("../../etc/passwd", "etc_passwd", id="path-traversal"),
        pytest.param("Ringkasan ✌️", "Ringkasan", id="non-ascii"),
        pytest.param("✌️", "", id="nothing-readable"),
    ],
)  # fmt: skip
def test_safe_name(key: str, readable: str) -> None:
    name = safe_name(key)
    assert name.startswith(readable)
    assert len(name) == len(readable) + (9 if readable else 8)
    assert "/" not in name and not name.startswith(".")


def test_keys_that_look_alike_get_different_names() -> None:
    assert safe_name("notice:12:a") != safe_name("notice/12/a") != safe_name("notice_12_a")


def test_attachment_names_stay_in_the_folder(tmp_path: Path) -> None:
    message = samples.digest(
        KEY,
        attachments=(
            Attachment("../../rahasia.csv", "text/csv", b"1"),
            Attachment("rahasia.csv", "text/csv", b"2"),
            Attachment(".tersembunyi", "text/plain", b"3"),
        ),
    )
    folder = tmp_path / "drop"
    notifier(tmp_path, dir="drop", formats=[]).send(message)
    assert listing(folder) == sorted(
        [f"{STEM}.rahasia.csv", f"{STEM}.2-rahasia.csv", f"{STEM}.tersembunyi"]
    )
    assert listing(tmp_path) == ["drop"]


def test_absolute_folder(tmp_path: Path) -> None:
    target = tmp_path / "mutlak"
    notifier(Path("/nonexistent"), dir=str(target), formats=["txt"]).send(samples.notice(KEY))
    assert listing(target) == [f"{STEM}.txt"]


def test_a_file_in_the_way_is_permanent_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / f"{STEM}.txt").mkdir()  # a folder where the text file should go
    drop = notifier(tmp_path, dir=".", formats=["txt"])
    with pytest.raises(NotifyError, match=f"tidak bisa menulis {STEM}.txt") as caught:
        drop.send(samples.notice(KEY))
    assert caught.value.permanent
    assert listing(tmp_path) == [f"{STEM}.txt"]


@pytest.mark.parametrize("folder", ["drop", "drop/sub"])
def test_a_file_where_the_folder_should_be(tmp_path: Path, folder: str) -> None:
    (tmp_path / "drop").write_text("bukan folder")
    drop = notifier(tmp_path, dir=folder)
    where = f"file 'arsip' ({tmp_path / folder})"
    assert drop.broken() == f"{where}: {tmp_path / 'drop'} bukan folder"
    with pytest.raises(NotifyError) as caught:
        drop.send(samples.notice())
    assert caught.value.permanent
    assert str(caught.value).startswith(f"{where}: tidak bisa menulis ")


def test_a_new_folder_is_not_broken(tmp_path: Path) -> None:
    assert notifier(tmp_path, dir="var/baru").broken() is None  # made at the first send


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({}, "Field required", id="no-dir"),
        pytest.param({"dir": "x", "formats": ["pdf"]}, "'eml', 'html' or 'txt'", id="format"),
        pytest.param({"dir": "x", "formats": [], "attachments": False}, "tidak ada yang ditulis",
                     id="nothing"),
        pytest.param({"dir": "x", "sender": "bukan"}, "tidak sah", id="sender"),
    ],
)  # fmt: skip
def test_settings_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FileDropSettings.model_validate(settings)
