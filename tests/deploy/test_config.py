"""deploy/asn-monitor.yaml: the example production configuration passes the real
``asn-monitor config check`` once the files it names exist (here in a temporary tree)."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from monitor.settings import load_settings
from tests.conftest import ROOT, run_cli

CONFIG = ROOT / "deploy" / "asn-monitor.yaml"


def test_example_configuration_uses_postgresql_without_a_password() -> None:
    settings, _ = load_settings(CONFIG)
    url = settings.database.url or ""
    assert url.startswith("postgresql+psycopg://")
    assert ":" not in url.split("://", 1)[1].split("@", 1)[0]  # the password is in secrets.env
    assert settings.database.auto_upgrade is False
    assert settings.detection.model.device == "cpu"  # the unit closes devices
    assert (settings.retention.posts_days, settings.retention.dismissed_days) == (30, 90)


def test_example_configuration_passes_config_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    etc, var = tmp_path / "etc", tmp_path / "var"
    shutil.copytree(ROOT / "rules", etc / "rules")
    (etc / "candidates").mkdir(parents=True)
    registry = files("monitor.rules").joinpath("data/example-registry.yaml")
    (etc / "candidates" / "contoh.yaml").write_text(registry.read_text("utf-8"), "utf-8")
    text = (
        CONFIG.read_text(encoding="utf-8")
        .replace("/etc/asn-monitor/", f"{etc}/")
        .replace("/var/lib/asn-monitor", str(var))
        .replace("/opt/asn-monitor/", f"{ROOT}/")
    )
    config = etc / "asn-monitor.yaml"
    config.write_text(text, encoding="utf-8")
    result = run_cli("config", "check", str(config), env={"SMTP_USER": "u", "SMTP_PASSWORD": "p"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "baik (4 pengumpul, basis data postgresql+psycopg)" in result.stdout
