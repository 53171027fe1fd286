"""deploy/asn-monitor.service: the directives the daemon relies on, ``systemd-analyze
verify`` (in a throwaway root that holds stand-ins for the unit's programs), and
``systemd-analyze security --offline`` at an exposure of 2.5 or lower. The systemd checks
skip, saying why, where systemd-analyze is missing or too old (--offline: systemd 250)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from monitor.settings import load_settings, parse_duration

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "asn-monitor.service"
CONFIG = ROOT / "deploy" / "asn-monitor.yaml"
MAX_EXPOSURE = 2.5


def directives(path: Path) -> dict[tuple[str, str], list[str]]:
    """(section, key) -> every value in order (SystemCallFilter= may appear twice)."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=value: {raw!r}"
        found[section, key.strip()].append(value.strip())
    return dict(found)


UNIT_DIRECTIVES = directives(UNIT)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("Service", "Type", "notify"),
        ("Service", "NotifyAccess", "main"),
        (
            "Service",
            "ExecStart",
            "/opt/asn-monitor/.venv/bin/asn-monitor --config /etc/asn-monitor/asn-monitor.yaml run",
        ),
        ("Service", "ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Service", "Restart", "on-failure"),
        ("Service", "RestartSec", "5s"),
        ("Service", "WatchdogSec", "120s"),
        ("Service", "TimeoutStopSec", "40s"),
        ("Service", "User", "asn-monitor"),
        ("Service", "StateDirectory", "asn-monitor"),
        ("Service", "ConfigurationDirectory", "asn-monitor"),
        ("Service", "EnvironmentFile", "-/etc/asn-monitor/secrets.env"),
        ("Service", "ProtectSystem", "strict"),
        ("Service", "CapabilityBoundingSet", ""),
        ("Service", "UMask", "0077"),
        ("Unit", "StartLimitBurst", "5"),
        ("Install", "WantedBy", "multi-user.target"),
    ],
)
def test_unit_directive(section: str, key: str, value: str) -> None:
    assert UNIT_DIRECTIVES.get((section, key)) == [value]


def test_the_service_environment() -> None:
    """No model is ever downloaded at run time; one malloc arena per thread is not kept."""
    environment = {v for line in UNIT_DIRECTIVES["Service", "Environment"] for v in line.split()}
    assert {"HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "MALLOC_ARENA_MAX=2"} <= environment


def test_the_unit_fits_the_example_configuration() -> None:
    """The service writes only its StateDirectory and reads the config the unit names; it
    stops within its shutdown_timeout, well inside TimeoutStopSec."""
    settings, _ = load_settings(CONFIG)
    assert settings.var_path == Path("/var/lib/asn-monitor")
    assert (
        "--config /etc/asn-monitor/asn-monitor.yaml" in UNIT_DIRECTIVES["Service", "ExecStart"][0]
    )
    (stop,) = UNIT_DIRECTIVES["Service", "TimeoutStopSec"]
    assert settings.daemon.shutdown_timeout + 10 <= parse_duration(stop)
    (watchdog,) = UNIT_DIRECTIVES["Service", "WatchdogSec"]
    assert parse_duration(watchdog) >= 2 * 30  # pings every half interval, between jobs


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    return tool


def host_unit_dir() -> Path:
    for candidate in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (candidate / "sysinit.target").is_file():
            return candidate
    pytest.skip("systemd's own units (sysinit.target) are not installed here")


def fake_root(tmp_path: Path) -> Path:
    """An alternative root for ``verify --root``: systemd's units, the unit under test in
    /etc/systemd/system, and an executable stand-in for each program it runs."""
    root = tmp_path / "root"
    shutil.copytree(host_unit_dir(), root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    for (_section, key), values in UNIT_DIRECTIVES.items():
        if not key.startswith("Exec"):
            continue
        for value in values:
            program = root / value.split()[0].lstrip("-@:+!").lstrip("/")
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
            program.chmod(0o755)
    return root


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = systemd_analyze()
    root = fake_root(tmp_path)
    proc = subprocess.run(
        [tool, f"--root={root}", "verify", str(root / "etc/systemd/system" / UNIT.name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # unknown keys and bad values are only warnings to systemd: any output is a failure
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


def test_systemd_analyze_security_exposure() -> None:
    tool = systemd_analyze()
    usage = subprocess.run([tool, "--help"], capture_output=True, text=True, timeout=60).stdout
    if "--offline" not in usage:
        pytest.skip("systemd-analyze is older than 250: no 'security --offline'")
    proc = subprocess.run(
        [tool, "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    score = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", proc.stdout)
    assert score is not None, proc.stdout
    assert float(score.group(1)) <= MAX_EXPOSURE, proc.stdout
