"""Files the tool writes for people under ``var/``: digests, Form A drafts with their
referral lists, evidence bundles. They quote posts and name people, so they are personal
data with a retention of their own (``retention.files_days``, UU 27/2022 Ps. 16(2)).

Only files the tool itself names are ever touched, and only in the folders it writes to
without ``--out``:

- ``digest.out_dir`` (``var/digests``): ``digest-<date>[-HHMM].html|md|csv``;
- ``var/form-a``: ``form-a-<date>.html`` and ``rujukan-<destination>-<date>.csv``;
- ``var/exports``: ``alert-<id>-<hash>.zip``;

plus the temporary files a write cut off by a crash left beside them. Anything else in
those folders (a file an operator put there) is left alone. Files written elsewhere with
``--out``, and the folder of a ``file`` notifier (a delivery destination, like a mailbox:
its owner keeps or deletes what arrives), are not the tool's to delete.

Each of these files can be written again from the database while its alerts are kept
(``digest --date``, ``form-a --date``, ``alerts export``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.settings import Settings

#: the folders under var_dir that the CLI writes to without --out
FORM_A_DIR = "form-a"
EXPORTS_DIR = "exports"

_DATE = r"\d{4}-\d{2}-\d{2}"
_TMP = r"(?:\.tmp)?"  # <name>.tmp: a write of write_digest or write_atomic cut off by a crash


@dataclass(frozen=True)
class ReportFolder:
    path: Path
    #: the names of the tool's own files in it
    names: re.Pattern[str]


def report_folders(settings: Settings) -> list[ReportFolder]:
    var = settings.var_path
    return [
        ReportFolder(
            settings.digest_dir,
            re.compile(rf"digest-{_DATE}(?:-\d{{4}})?\.(?:html|md|csv){_TMP}"),
        ),
        ReportFolder(
            var / FORM_A_DIR,
            re.compile(rf"(?:form-a-{_DATE}\.html|rujukan-[a-z0-9_-]+-{_DATE}\.csv){_TMP}"),
        ),
        # export_bundle writes through .tmp-<random>
        ReportFolder(
            var / EXPORTS_DIR, re.compile(r"alert-\d+-[0-9a-f]{12}\.zip|\.tmp-[A-Za-z0-9_]{8}")
        ),
    ]


def expired_files(settings: Settings, written_before: datetime) -> Iterator[Path]:
    """The tool's report files last written before ``written_before``, sorted per folder."""
    limit = written_before.timestamp()
    for folder in report_folders(settings):
        if not folder.path.is_dir():
            continue
        for path in sorted(folder.path.iterdir()):
            if not folder.names.fullmatch(path.name) or path.is_symlink() or not path.is_file():
                continue
            try:
                if path.stat().st_mtime < limit:
                    yield path
            except FileNotFoundError:  # removed meanwhile
                continue
