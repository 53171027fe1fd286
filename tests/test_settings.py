"""monitor.settings: one YAML file, defaults that work, secrets from the environment,
relative paths from the configuration's folder, every problem located."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.errors import ConfigError
from monitor.settings import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    Settings,
    default_config_path,
    load_settings,
    usable_settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[int, int, str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return [(p.line, p.col, p.code, p.message) for p in caught.value.problems]


# -- defaults ---------------------------------------------------------------------------


def test_no_file_uses_defaults_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    settings, doc = load_settings(None)
    assert doc is None
    assert settings.timezone == "Asia/Jakarta"
    assert settings.tz == ZoneInfo("Asia/Jakarta")
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'asn-monitor.db'}"
    assert settings.rule_paths == [tmp_path / "rules"]
    assert settings.collectors == {}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("# nothing set yet\n", id="comment-only"),
        pytest.param("{}\n", id="empty-mapping"),
    ],
)
def test_empty_file_uses_defaults_next_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
):
    config = write(tmp_path / "etc" / "monitor.yaml", text)
    monkeypatch.chdir(tmp_path)  # not the config's folder
    settings, doc = load_settings(config)
    assert doc is not None
    folder = tmp_path / "etc"
    assert settings.timezone == "Asia/Jakarta"
    assert settings.var_path == folder / "var"
    assert settings.database_url == f"sqlite:///{folder / 'var' / 'asn-monitor.db'}"
    assert settings.auto_upgrade is True
    assert settings.rule_paths == [folder / "rules"]
    assert settings.candidate_paths == []
    assert settings.digest_dir == folder / "var" / "digests"
    assert settings.pipeline.batch_size == 200
    assert settings.logging.level == "INFO"
    assert settings.source == str(config)


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = write(
        tmp_path / "etc" / "asn" / "monitor.yaml",
        "var_dir: ../../data\n"
        "rules:\n  paths: [rules, ./extra/more.yaml, /opt/rules]\n"
        "candidates:\n  paths: [../cands]\n"
        "digest:\n  out_dir: out\n",
    )
    monkeypatch.chdir(tmp_path / "etc")
    settings, _ = load_settings(config)
    folder = tmp_path / "etc" / "asn"
    assert settings.var_path == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'asn-monitor.db'}"
    assert settings.rule_paths == [
        folder / "rules",
        folder / "extra" / "more.yaml",
        Path("/opt/rules"),
    ]
    assert settings.candidate_paths == [tmp_path / "etc" / "cands"]
    assert settings.digest_dir == tmp_path / "data" / "out"


def test_relative_config_path_resolves_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    write(tmp_path / "conf" / "monitor.yaml", "var_dir: state\n")
    monkeypatch.chdir(tmp_path)
    settings, _ = load_settings("conf/monitor.yaml")
    assert settings.base_dir == tmp_path / "conf"
    assert settings.var_path == tmp_path / "conf" / "state"


def test_absolute_digest_dir_is_kept(tmp_path: Path):
    config = write(tmp_path / "monitor.yaml", "digest:\n  out_dir: /srv/digests\n")
    settings, _ = load_settings(config)
    assert settings.digest_dir == Path("/srv/digests")


def test_full_file_is_read(tmp_path: Path):
    config = write(
        tmp_path / "monitor.yaml",
        "timezone: Asia/Makassar\n"
        "database:\n  url: postgresql+psycopg://u@db/asn\n  echo: true\n"
        "collectors:\n"
        "  files:\n    type: jsonl\n    path: posts.jsonl\n    platforms: [x]\n"
        "  off:\n    type: jsonl\n    enabled: false\n    path: old.jsonl\n"
        "pipeline:\n  batch_size: 50\n"
        "logging:\n  level: DEBUG\n  json_lines: true\n",
    )
    settings, _ = load_settings(config)
    assert settings.tz == ZoneInfo("Asia/Makassar")
    assert settings.database_url == "postgresql+psycopg://u@db/asn"
    assert settings.database.echo is True
    assert settings.auto_upgrade is False  # not SQLite: run 'db upgrade' on deployment
    assert set(settings.collectors) == {"files", "off"}
    assert settings.collectors["files"].type == "jsonl"
    assert settings.collectors["files"].enabled is True
    assert settings.collectors["files"].options() == {"path": "posts.jsonl", "platforms": ["x"]}
    assert settings.collectors["off"].enabled is False
    assert settings.pipeline.batch_size == 50
    assert (settings.logging.level, settings.logging.json_lines) == ("DEBUG", True)


# -- secrets from the environment -------------------------------------------------------


@pytest.mark.parametrize(
    ("file_url", "env_url", "expected"),
    [
        pytest.param(None, "postgresql://u:p@h/db", "postgresql://u:p@h/db", id="env-over-default"),
        pytest.param(
            "sqlite:///a.db", "postgresql://h/db", "postgresql://h/db", id="env-over-file"
        ),
        pytest.param("sqlite:///a.db", None, "sqlite:///a.db", id="file-without-env"),
        pytest.param("sqlite:///a.db", "", "sqlite:///a.db", id="empty-env-ignored"),
    ],
)
def test_database_url_env_overrides_the_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_url: str | None,
    env_url: str | None,
    expected: str,
):
    text = f"database:\n  url: {file_url}\n" if file_url else ""
    settings, _ = load_settings(write(tmp_path / "monitor.yaml", text))
    if env_url is not None:
        monkeypatch.setenv(DATABASE_URL_ENV, env_url)
    assert settings.database_url == expected


@pytest.mark.parametrize(
    ("text", "env_url", "expected"),
    [
        pytest.param("", None, True, id="sqlite-default-yes"),
        pytest.param("", "postgresql://h/db", False, id="postgresql-default-no"),
        pytest.param("database:\n  auto_upgrade: true\n", "postgresql://h/db", True, id="forced"),
        pytest.param("database:\n  auto_upgrade: false\n", None, False, id="refused"),
    ],
)
def test_auto_upgrade(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    env_url: str | None,
    expected: bool,
):
    if env_url:
        monkeypatch.setenv(DATABASE_URL_ENV, env_url)
    settings, _ = load_settings(write(tmp_path / "monitor.yaml", text))
    assert settings.auto_upgrade is expected


# -- where the configuration file is found ----------------------------------------------


def test_default_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert default_config_path() is None
    write(tmp_path / "monitor.yaml", "")
    assert default_config_path() == Path("monitor.yaml")
    monkeypatch.setenv(CONFIG_ENV, "/etc/asn-monitor/monitor.yaml")
    assert default_config_path() == Path("/etc/asn-monitor/monitor.yaml")


# -- every problem, located -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("bogus: 1\n", [(1, 1, "unknown-key", "'bogus'")], id="unknown-top-key"),
        pytest.param(
            "database:\n  url: sqlite://\n  pasword: x\n",
            [(3, 3, "unknown-key", "'pasword'")],
            id="unknown-nested-key",
        ),
        pytest.param(
            "timezone: Mars/Olympus\n",
            [(1, 11, "invalid-value", "Mars/Olympus")],
            id="bad-timezone",
        ),
        pytest.param("timezone: ''\n", [(1, 11, "invalid-value", "zona waktu")], id="empty-tz"),
        pytest.param(
            "timezone: no\n", [(1, 11, "invalid-value", 'tanda kutip: "no"')], id="tz-yaml11-bool"
        ),
        pytest.param("database:\n  url: 5\n", [(2, 8, "invalid-value", "teks")], id="url-not-text"),
        pytest.param(
            "database:\n  echo: maybe\n",
            [(2, 9, "invalid-value", "true atau false")],
            id="not-a-boolean",
        ),
        pytest.param(
            "pipeline:\n  batch_size: 0\n",
            [(2, 15, "invalid-value", "paling kecil 1")],
            id="batch-too-small",
        ),
        pytest.param(
            "pipeline:\n  batch_size: 100001\n",
            [(2, 15, "invalid-value", "paling besar 10000")],
            id="batch-too-large",
        ),
        pytest.param(
            "pipeline:\n  batch_size: many\n",
            [(2, 15, "invalid-value", "bilangan bulat")],
            id="batch-not-int",
        ),
        pytest.param(
            "logging:\n  level: verbose\n",
            [(2, 10, "invalid-value", "'verbose'")],
            id="bad-log-level",
        ),
        pytest.param(
            "logging:\n  level: off\n",
            [(2, 10, "invalid-value", 'beri tanda kutip: "off"')],
            id="log-level-yaml11-bool",
        ),
        pytest.param(
            "rules:\n  paths: rules\n", [(2, 10, "invalid-value", "daftar")], id="not-list"
        ),
        pytest.param(
            "rules:\n  paths:\n    - ok\n    - [nested]\n",
            [(4, 7, "invalid-value", "jalur")],
            id="bad-path-item",
        ),
        pytest.param("var_dir: 5\n", [(1, 10, "invalid-value", "jalur")], id="var-dir-not-path"),
        pytest.param("database: 5\n", [(1, 11, "invalid-value", "pemetaan")], id="section-not-map"),
        pytest.param(
            "collectors:\n  demo:\n    path: x.jsonl\n",
            [(3, 5, "missing-key", "'type'")],
            id="collector-without-type",
        ),
        pytest.param(
            "collectors:\n  demo:\n    type: jsonl\n    enabled: sometimes\n",
            [(4, 14, "invalid-value", "true atau false")],
            id="collector-enabled",
        ),
        pytest.param(
            "collectors:\n  demo: jsonl\n",
            [(2, 9, "invalid-value", "pemetaan")],
            id="collector-not-map",
        ),
        pytest.param(
            "collectors:\n  list:\n    type: 5\n",
            [(3, 11, "invalid-value", "teks")],
            id="collector-named-list",
        ),
        pytest.param(
            "database:\n  str: 1\n", [(2, 3, "unknown-key", "'str'")], id="unknown-key-named-str"
        ),
        pytest.param(
            "collectors:\n  1:\n    type: jsonl\n",
            [(2, 3, "invalid-value", "kunci 1")],
            id="collector-name-not-text",
        ),
        pytest.param("- a\n- b\n", [(1, 1, "not-mapping", "pemetaan")], id="not-a-mapping"),
        pytest.param("just text\n", [(1, 1, "not-mapping", "pemetaan")], id="scalar"),
        pytest.param("base_dir: /x\n", [(1, 1, "unknown-key", "'base_dir'")], id="reserved-base"),
        pytest.param("source: x\n", [(1, 1, "unknown-key", "'source'")], id="reserved-source"),
        pytest.param(
            "a: 1\nb: 2\na: 3\n", [(3, 1, "duplicate-key", "baris 1")], id="duplicate-key"
        ),
        pytest.param("a: [1\n", [(2, 1, "yaml-syntax", "YAML")], id="yaml-syntax"),
    ],
)
def test_invalid_config_is_located(
    tmp_path: Path, text: str, expected: list[tuple[int, int, str, str]]
):
    got = problems(write(tmp_path / "monitor.yaml", text))
    assert [(line, col, code) for line, col, code, _ in got] == [e[:3] for e in expected]
    for (*_, message), (*_, word) in zip(got, expected, strict=True):
        assert word in message


def test_every_problem_is_reported(tmp_path: Path):
    config = write(
        tmp_path / "monitor.yaml",
        "source: here\n"
        "timezone: Mars/Olympus\n"
        "database:\n"
        "  url: 5\n"
        "  color: blue\n"
        "pipeline:\n"
        "  batch_size: 0\n"
        "collectors:\n"
        "  a:\n"
        "    enabled: perhaps\n"
        "logging:\n"
        "  level: no\n",
    )
    assert [(line, col, code) for line, col, code, _ in problems(config)] == [
        (1, 1, "unknown-key"),
        (2, 11, "invalid-value"),
        (4, 8, "invalid-value"),
        (5, 3, "unknown-key"),
        (7, 15, "invalid-value"),
        (10, 5, "missing-key"),
        (10, 14, "invalid-value"),
        (12, 10, "invalid-value"),
    ]


def test_problems_name_the_file(tmp_path: Path):
    config = write(tmp_path / "monitor.yaml", "bogus: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}:1:1: error: kunci 'bogus' tidak dikenal [unknown-key]"


def test_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "absent.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.code) == (0, 0, "not-found")


def test_settings_are_frozen(tmp_path: Path):
    settings, _ = load_settings(write(tmp_path / "monitor.yaml", ""))
    with pytest.raises(ValueError, match="frozen"):
        settings.timezone = "UTC"  # type: ignore[misc]


# -- the valid part of an invalid file --------------------------------------------------


def test_usable_settings_keep_what_is_valid(tmp_path: Path):
    config = write(
        tmp_path / "monitor.yaml",
        "timezone: Mars/Olympus\n"
        "rules:\n  paths: [mine]\n"
        "candidates:\n  paths: 5\n"
        "collectors:\n"
        "  good:\n    type: jsonl\n    path: a.jsonl\n"
        "  bad:\n    enabled: 3\n"
        "bogus: 1\n",
    )
    with pytest.raises(ConfigError):
        load_settings(config)
    usable = usable_settings(config)
    assert usable is not None
    settings, doc = usable
    assert doc.path == str(config)
    assert settings.timezone == "Asia/Jakarta"  # the invalid value is left at its default
    assert settings.rule_paths == [tmp_path / "mine"]
    assert settings.candidates.paths == []
    assert list(settings.collectors) == ["good"]


@pytest.mark.parametrize(
    "text",
    [pytest.param("a: [1\n", id="syntax"), pytest.param("- a\n", id="not-mapping")],
)
def test_usable_settings_need_a_mapping(tmp_path: Path, text: str):
    assert usable_settings(write(tmp_path / "monitor.yaml", text)) is None


def test_settings_model_has_working_defaults_without_a_loader():
    settings = Settings()
    assert settings.timezone == "Asia/Jakarta"
    assert settings.var_dir == Path("var")
