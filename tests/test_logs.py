"""monitor.logs: secrets never reach a log line, in the message, in exception text and
tracebacks, in records from standard-library loggers, and in JSON-lines mode. The end-to-end
tests read the real stderr of a child process set up as the service sets itself up."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from monitor.logs import (
    MASK,
    redact,
    register_secret,
    secrets_from_settings,
    setup_logging,
)
from monitor.settings import Settings
from tests.conftest import ROOT

# -- patterns: table --------------------------------------------------------------------

REDACTED = [
    (
        "postgresql+psycopg://asn:pg-Secret-1@db.local:5432/asn",
        "postgresql+psycopg://asn:***@db.local:5432/asn",
    ),
    ("http://proxy-user:hunter2@proxy:3128", "http://proxy-user:***@proxy:3128"),
    ("smtp://:only-a-password@mail", "smtp://:***@mail"),
    (
        "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
        "Authorization: Bearer ***",
    ),
    ("authorization: basic dXNlcjpwYXNzd29yZA==", "authorization: basic ***"),
    (
        "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
        "POST https://api.telegram.org/bot***/sendMessage",
    ),
    (
        "GET https://api.telegram.org/file/botSOME-OTHER-FORMAT/documents/x.csv",
        "GET https://api.telegram.org/file/bot***/documents/x.csv",
    ),
    (
        "http://127.0.0.1:8081/bot42:abc-DEF_ghi/sendDocument",
        "http://127.0.0.1:8081/bot***/sendDocument",
    ),
    (
        "connection to host=db port=5432 dbname=asn user=asn password=geheim77 failed",
        "connection to host=db port=5432 dbname=asn user=asn password=*** failed",
    ),
    ("dsn: password='with space' sslmode=require", "dsn: password=*** sslmode=require"),
    (
        "https://m.example/api?access_token=tok-xyz&limit=40",
        "https://m.example/api?access_token=***&limit=40",
    ),
    ('{"user": "asn", "password": "p4ss-json"}', '{"user": "asn", "password": "***"}'),
    ("{'token': 'abc-123-def'}", "{'token': '***'}"),
]

UNTOUCHED = [
    "https://x.com/agus_stwn/status/1858487883006811590",
    "postgresql+psycopg://asn@db.local:5432/asn",
    "postgresql+psycopg://asn:***@db.local/asn",
    "GET /2/users/42/tweets?pagination_token=7140dibdnow9c7btw3z2",
    "token X API belum diatur: bearer token missing",
    "the bottom line: /bottom/of/the/page",
    "run finished: 3 collectors, 12 posts decided, 2 alerts",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_secret_patterns_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_registered_values_are_masked_also_url_encoded() -> None:
    secret = f"p@ss w/{uuid.uuid4().hex[:8]}"
    register_secret(secret)
    encoded = secret.replace("@", "%40").replace(" ", "%20").replace("/", "%2F")
    plus = secret.replace("@", "%40").replace(" ", "+").replace("/", "%2F")
    text = f"raw {secret} | quoted {encoded} | form {plus}"
    assert redact(text) == f"raw {MASK} | quoted {MASK} | form {MASK}"


def test_very_short_values_are_not_registered() -> None:
    register_secret("ab")
    register_secret(None)
    register_secret("   ")
    assert redact("about a tab") == "about a tab"


# -- secrets_from_settings ----------------------------------------------------------------


def test_secrets_from_settings_follows_every_env_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "X_BEARER_TOKEN": "x-bearer-" + uuid.uuid4().hex,  # x_api's default token_env
        "MASTO_TOKEN": "masto-" + uuid.uuid4().hex,
        "SMTP_USER": "monitor@bawaslu.example",
        "SMTP_PASSWORD": "smtp-" + uuid.uuid4().hex,
        "TELEGRAM_BOT_TOKEN": "123456:" + uuid.uuid4().hex,
        "HOOK_URL": "https://hooks.example/services/" + uuid.uuid4().hex,
        "HOOK_HEADERS": json.dumps({"Authorization": "Bearer hdr-" + uuid.uuid4().hex}),
        "MONITOR_DATABASE_URL": "postgresql://asn:env-db-pw-" + uuid.uuid4().hex[:6] + "@db/asn",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UNRELATED_SETTING", "not-a-secret-value")
    settings = Settings.model_validate(
        {
            "database": {"url": "postgresql://asn:file-db-pw@db/asn"},
            "collectors": {
                "x": {"type": "x_api"},
                "masto": {
                    "type": "mastodon",
                    "instance": "social.example",
                    "token_env": "MASTO_TOKEN",
                },
                "gone": {"type": "no-such-plugin", "token_env": "UNSET_VARIABLE"},
            },
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "smtp.example",
                    "sender": "monitor@bawaslu.example",
                    "to": ["tim@bawaslu.example"],
                    "username_env": "SMTP_USER",
                    "password_env": "SMTP_PASSWORD",
                },
                "tg": {"type": "telegram", "token_env": "TELEGRAM_BOT_TOKEN", "chat_id": -100},
                "hook": {"type": "webhook", "url_env": "HOOK_URL", "headers_env": "HOOK_HEADERS"},
            },
        }
    )
    found = secrets_from_settings(settings)
    bearer = json.loads(env["HOOK_HEADERS"])["Authorization"]
    expected = [
        "file-db-pw",
        env["MONITOR_DATABASE_URL"].split(":")[2].split("@")[0],
        env["X_BEARER_TOKEN"],
        env["MASTO_TOKEN"],
        env["SMTP_USER"],
        env["SMTP_PASSWORD"],
        env["TELEGRAM_BOT_TOKEN"],
        env["HOOK_URL"],
        bearer,
        bearer.split(" ", 1)[1],
    ]
    assert sorted(found) == sorted([*expected, env["HOOK_HEADERS"]])
    assert "not-a-secret-value" not in found


# -- a loguru sink in this process --------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    logger.remove()
    logger.configure(patcher=lambda _record: None)
    logger.add(sys.stderr)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("json_lines", [False, True])
def test_exception_text_and_stdlib_records_are_masked(json_lines: bool) -> None:
    secret = "sink-secret-" + uuid.uuid4().hex
    out = io.StringIO()
    setup_logging("DEBUG", json_lines=json_lines, secrets=[secret], stream=out)
    logger.bind(token=secret).info("token is {}", secret)
    try:
        try:
            raise ConnectionError(f"upstream said no to {secret}")
        except ConnectionError as inner:
            raise RuntimeError("poll failed: postgresql://u:pw-in-cause@h/db") from inner
    except RuntimeError:
        logger.exception("collector crashed")
    logging.getLogger("sqlalchemy.pool").error(
        "connect failed: host=db password=%s dbname=asn", "stdlib-pw-77"
    )
    text = out.getvalue()
    for leaked in (secret, "pw-in-cause", "stdlib-pw-77"):
        assert leaked not in text
    lines = [line for line in text.splitlines() if line]
    if json_lines:
        records = [json.loads(line) for line in lines]
        assert [r["record"]["message"] for r in records] == [
            f"token is {MASK}",
            "collector crashed",
            f"connect failed: host=db password={MASK} dbname=asn",
        ]
        assert records[0]["record"]["extra"] == {"token": MASK}
        assert records[1]["record"]["exception"]["value"] == "poll failed: postgresql://u:***@h/db"
        assert records[2]["record"]["name"].startswith("tests.test_logs")
    else:
        assert f"ConnectionError: upstream said no to {MASK}" in text
        assert "RuntimeError: poll failed: postgresql://u:***@h/db" in text


# -- the real stderr of a child process ---------------------------------------------------

CHILD = """\
import logging, os, sys

import httpx
from loguru import logger

from monitor.logs import secrets_from_settings, setup_logging
from monitor.settings import load_settings

settings, _ = load_settings(sys.argv[1])
setup_logging(
    "DEBUG", json_lines=sys.argv[2] == "json", secrets=secrets_from_settings(settings)
)
logger.info("database {}", settings.database_url)
logger.warning("smtp login refused for password {}", os.environ["SMTP_PASSWORD"])


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"ok": False, "description": "Unauthorized"})


token = os.environ["TELEGRAM_BOT_TOKEN"]
client = httpx.Client(transport=httpx.MockTransport(answer))
try:
    response = client.post(
        f"https://api.telegram.org/bot{token}/sendMessage",
        headers={"Authorization": "Bearer " + os.environ["X_BEARER_TOKEN"]},
    )
    response.raise_for_status()
except httpx.HTTPStatusError as exc:
    logger.opt(exception=True).error("telegram failed: {}", exc)
    try:
        raise RuntimeError(f"request {exc.request.headers['authorization']}") from exc
    except RuntimeError:
        logger.exception("x api failed")
try:
    raise OSError("could not connect: " + os.environ["MONITOR_DATABASE_URL"])
except OSError:
    logging.getLogger("sqlalchemy.pool.impl.QueuePool").exception(
        "Exception during reset or similar (%s)", os.environ["MONITOR_DATABASE_URL"]
    )
logging.getLogger("sqlalchemy.engine.Engine").warning(
    "dsn host=127.0.0.1 password=%s dbname=asn", os.environ["DB_PASSWORD"]
)
logger.info("done")
"""

CONFIG = """\
collectors:
  x: {type: x_api}
notifiers:
  tg: {type: telegram, token_env: TELEGRAM_BOT_TOKEN, chat_id: -1001234567890}
  mail:
    type: email
    host: smtp.example
    sender: monitor@bawaslu.example
    to: [tim@bawaslu.example]
    username_env: SMTP_USER
    password_env: SMTP_PASSWORD
"""


@pytest.mark.parametrize("mode", ["text", "json"])
def test_child_process_stderr_has_no_secret(tmp_path: Path, mode: str) -> None:
    db_password = "pg-" + uuid.uuid4().hex[:12]
    env = {
        "MONITOR_DATABASE_URL": f"postgresql+psycopg://asn:{db_password}@127.0.0.1:5999/asn",
        "DB_PASSWORD": db_password,
        "X_BEARER_TOKEN": "AAAA" + uuid.uuid4().hex + "%2Bxyz",
        "TELEGRAM_BOT_TOKEN": "7012345678:" + uuid.uuid4().hex,
        "SMTP_USER": "monitor-user",
        "SMTP_PASSWORD": "smtp-" + uuid.uuid4().hex[:10],
    }
    (tmp_path / "child.py").write_text(CHILD, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(CONFIG, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "child.py"), str(tmp_path / "monitor.yaml"), mode],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    for name in ("DB_PASSWORD", "X_BEARER_TOKEN", "TELEGRAM_BOT_TOKEN", "SMTP_PASSWORD"):
        assert env[name] not in err, name
    assert env["TELEGRAM_BOT_TOKEN"].split(":")[1] not in err
    assert env["X_BEARER_TOKEN"].replace("%2B", "+") not in err
    lines = [line for line in err.splitlines() if line.strip()]
    if mode == "json":
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        messages = [r["record"]["message"] for r in records]
        text = "\n".join(r["text"] for r in records)
    else:
        messages = lines
        text = err
    assert any("postgresql+psycopg://asn:***@127.0.0.1:5999/asn" in m for m in messages)
    assert any(m.endswith(f"smtp login refused for password {MASK}") for m in messages)
    assert "https://api.telegram.org/bot***/sendMessage" in text
    assert "RuntimeError: request Bearer ***" in text
    assert "OSError: could not connect: postgresql+psycopg://asn:***@" in text
    assert f"password={MASK} dbname=asn" in text
    assert messages[-1].endswith("done")
