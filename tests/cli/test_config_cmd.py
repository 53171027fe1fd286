"""``asn-monitor config check [FILE]`` and ``config show``, run as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def located(stderr: str, path: Path) -> list[str]:
    """``line:col: [code]`` of each problem printed for ``path``."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith(f"{path}:"):
            continue
        where, _, rest = line[len(str(path)) + 1 :].partition(": error: ")
        code = rest[rest.rindex("[") :]
        found.append(f"{where} {code}")
    return found


CLEAN = """\
timezone: Asia/Jakarta
database:
  url: sqlite:///var/test.db
rules:
  paths: [rules]
collectors:
  files:
    type: jsonl
    path: posts.jsonl
    platforms: [x, facebook]
"""


def test_clean_file_passes(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    config = write(tmp_path / "monitor.yaml", CLEAN)
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{config}: baik" in result.stdout
    assert "1 pengumpul" in result.stdout
    assert "sqlite" in result.stdout
    assert result.stderr == ""
    assert not (tmp_path / "var").exists()  # checking creates no database


def test_empty_file_passes_with_defaults(tmp_path: Path):
    (tmp_path / "etc" / "rules").mkdir(parents=True)
    config = write(tmp_path / "etc" / "monitor.yaml", "")
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 pengumpul" in result.stdout


def test_no_file_uses_defaults(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    result = run_cli("config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nilai bawaan" in result.stdout
    assert "konfigurasi bawaan: baik" in result.stdout


def test_missing_default_rules_folder_is_reported_as_a_default(tmp_path: Path):
    config = write(tmp_path / "monitor.yaml", "timezone: Asia/Jakarta\n")
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{config}: error: {tmp_path / 'rules'} tidak ditemukan" in result.stderr
    assert "rules.paths" in result.stderr
    assert "[missing-path]" in result.stderr


# Each broken file: its text, then every problem as "line:col [code]", in order.
BROKEN = [
    pytest.param("a: [1\n", ["2:1 [yaml-syntax]"], id="yaml-syntax"),
    pytest.param(
        "timezone: Asia/Jakarta\nrules:\n  paths: [rules]\ntimezone: UTC\n",
        ["4:1 [duplicate-key]"],
        id="duplicate-key",
    ),
    pytest.param(
        "rules:\n  paths: [rules]\n  pahts: []\nfoo: 1\n",
        ["3:3 [unknown-key]", "4:1 [unknown-key]"],
        id="unknown-keys",
    ),
    pytest.param(
        "timezone: Asia/Jakata\nrules:\n  paths: [rules]\n",
        ["1:11 [invalid-value]"],
        id="bad-timezone",
    ),
    pytest.param(
        "rules:\n  paths: [rules]\npipeline:\n  batch_size: lots\n",
        ["4:15 [invalid-value]"],
        id="wrong-type",
    ),
    pytest.param(
        "rules:\n  paths: [rules]\ncollectors:\n  feed:\n    type: rss\n    url: x\n",
        ["5:11 [unknown-plugin]"],
        id="unknown-collector-type",
    ),
    pytest.param(
        "rules:\n  paths: [rules]\ncollectors:\n  files:\n    type: jsonl\n",
        ["5:5 [missing-key]"],
        id="jsonl-without-path",
    ),
    pytest.param(
        "rules:\n  paths: [rules]\ncollectors:\n  files:\n    type: jsonl\n"
        "    path: p.jsonl\n    glob: '*.jsonl'\n",
        ["7:5 [unknown-key]"],
        id="jsonl-unknown-key",
    ),
    pytest.param(
        "rules:\n  paths: [rules, missing.yaml]\ncandidates:\n  paths:\n    - cands\n",
        ["2:18 [missing-path]", "5:7 [missing-path]"],
        id="missing-paths",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_file_is_located(tmp_path: Path, text: str, expected: list[str]):
    (tmp_path / "rules").mkdir()
    config = write(tmp_path / "monitor.yaml", text)
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert located(result.stderr, config) == expected
    assert f"{len(expected)} galat" in result.stderr


EVERYTHING_WRONG = """\
timezone: Mars/Olympus
logging:
  level: no
database:
  url: sqlite:///x.db
  pasword: secret
collectors:
  feed:
    type: rss
  files:
    type: jsonl
  extra:
    type: jsonl
    path: p.jsonl
    glob: x
  broken: 5
rules:
  paths: [rules, nowhere]
candidates:
  paths: 7
"""


def test_every_problem_is_printed_in_one_run(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    config = write(tmp_path / "monitor.yaml", EVERYTHING_WRONG)
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert located(result.stderr, config) == [
        "1:11 [invalid-value]",
        "3:10 [invalid-value]",
        "6:3 [unknown-key]",
        "9:11 [unknown-plugin]",
        "11:5 [missing-key]",
        "15:5 [unknown-key]",
        "16:11 [invalid-value]",
        "18:18 [missing-path]",
        "20:10 [invalid-value]",
    ]
    err = result.stderr
    assert "Mars/Olympus" in err
    assert 'beri tanda kutip: "no"' in err
    assert "'pasword'" in err
    assert "collector 'rss' tidak terpasang (terpasang: feed, jsonl, mastodon" in err
    assert "kunci wajib 'path'" in err
    assert "'glob'" in err
    assert str(tmp_path / "nowhere") in err
    assert "galat: " in err and "9 galat" in err


@pytest.mark.parametrize(
    ("text", "line", "word"),
    [
        pytest.param("logging:\n  level: on\n", "2:10", 'beri tanda kutip: "on"', id="on"),
        pytest.param("timezone: yes\n", "1:11", 'beri tanda kutip: "yes"', id="yes"),
    ],
)
def test_yaml11_boolean_gets_the_quote_hint(tmp_path: Path, text: str, line: str, word: str):
    (tmp_path / "rules").mkdir()
    config = write(tmp_path / "monitor.yaml", text)
    result = run_cli("config", "check", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{config}:{line}: error: " in result.stderr
    assert word in result.stderr


def test_missing_file(tmp_path: Path):
    result = run_cli("config", "check", str(tmp_path / "absent.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{tmp_path / 'absent.yaml'}: error: berkas tidak ditemukan [not-found]" in result.stderr


def test_file_argument_wins_over_the_config_option(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    good = write(tmp_path / "good.yaml", "")
    bad = write(tmp_path / "bad.yaml", "bogus: 1\n")
    result = run_cli("-c", str(bad), "config", "check", cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}:1:1:" in result.stderr
    result = run_cli("-c", str(bad), "config", "check", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{good}: baik" in result.stdout


# -- config show ------------------------------------------------------------------------


def test_show_prints_effective_settings_with_full_paths(tmp_path: Path):
    config = write(
        tmp_path / "etc" / "monitor.yaml",
        "var_dir: state\nrules:\n  paths: [rules, ../shared-rules]\n"
        "collectors:\n  files:\n    type: jsonl\n    path: posts.jsonl\n",
    )
    result = run_cli("-c", str(config), "config", "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    folder = tmp_path / "etc"
    assert shown["timezone"] == "Asia/Jakarta"
    assert shown["var_dir"] == str(folder / "state")
    assert shown["database"]["url"] == f"sqlite:///{folder / 'state' / 'asn-monitor.db'}"
    assert shown["database"]["auto_upgrade"] is True
    assert shown["rules"]["paths"] == [str(folder / "rules"), str(tmp_path / "shared-rules")]
    assert shown["digest"]["out_dir"] == str(folder / "state" / "digests")
    files = shown["collectors"]["files"]
    assert {k: files[k] for k in ("type", "enabled", "path")} == {
        "type": "jsonl",
        "enabled": True,
        "path": "posts.jsonl",
    }
    assert files["interval"] == 900.0 and files["lookback"] == 3 * 86400.0  # the defaults
    assert "base_dir" not in shown
    assert f"# konfigurasi: {config}" in result.stdout
    assert not (folder / "state").exists()  # showing touches no database


def test_show_takes_the_database_url_from_env_and_hides_the_password(tmp_path: Path):
    config = write(tmp_path / "monitor.yaml", "database:\n  url: sqlite:///ignored.db\n")
    result = run_cli(
        "-c",
        str(config),
        "config",
        "show",
        cwd=tmp_path,
        database_url="postgresql+psycopg://asn:s3cret@db.example:5432/asn",
    )
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    assert shown["database"]["url"] == "postgresql+psycopg://asn:***@db.example:5432/asn"
    assert shown["database"]["auto_upgrade"] is False
    assert "s3cret" not in result.stdout


def test_show_refuses_an_invalid_file(tmp_path: Path):
    config = write(tmp_path / "monitor.yaml", "timezone: Mars/Olympus\n")
    result = run_cli("-c", str(config), "config", "show", cwd=tmp_path)
    assert result.returncode == 1
    assert f"{config}:1:11: error:" in result.stderr
    assert result.stdout == ""


def test_monitor_yaml_in_the_current_folder_is_the_default(tmp_path: Path):
    write(tmp_path / "monitor.yaml", "bogus: 1\n")
    result = run_cli("config", "check", cwd=tmp_path)
    assert result.returncode == 1
    assert "monitor.yaml:1:1: error: kunci 'bogus' tidak dikenal [unknown-key]" in result.stderr
