"""The configuration file: one YAML file validated by pydantic, with defaults such that
an empty file (or no file) works.

Relative paths are resolved against the directory of the configuration file (the current
directory when there is none). Secrets never live in the file: ``MONITOR_DATABASE_URL``
overrides ``database.url``, and plugins name the environment variable that holds their
secret (``token_env: X_BEARER_TOKEN``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from monitor.errors import ConfigError, Problem, YamlError
from monitor.yamlfile import YamlDocument, load_yaml, validation_problems

DATABASE_URL_ENV = "MONITOR_DATABASE_URL"
CONFIG_ENV = "MONITOR_CONFIG"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Strict):
    #: SQLAlchemy URL. Default: SQLite at ``<var_dir>/asn-monitor.db``.
    url: str | None = None
    #: Apply migrations on start. Default: yes for SQLite, no for other databases
    #: (run ``asn-monitor db upgrade`` as part of a deployment instead).
    auto_upgrade: bool | None = None
    #: log every SQL statement (INFO, through the service log; parameters are never logged)
    echo: bool = False


class RulesSettings(_Strict):
    #: Rule files or directories of ``*.yaml`` rule files.
    paths: list[Path] = Field(default_factory=lambda: [Path("rules")])


class CandidatesSettings(_Strict):
    #: Candidate registries: files or directories of ``*.yaml`` files, one per election.
    paths: list[Path] = Field(default_factory=list)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float:
    """Seconds from a number of seconds or a string like ``90s``, ``15m``, ``6h``, ``3d``."""
    if isinstance(value, bool):
        raise ValueError("durasi harus angka detik atau seperti '15m', '6h', '3d'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        unit = _UNITS.get(text[-1:]) if text else None
        number = text[:-1] if unit else text
        try:
            seconds = float(number) * (unit or 1)
        except ValueError:
            raise ValueError(f"durasi {value!r} tidak dikenal (contoh: 90s, 15m, 6h, 3d)") from None
    else:
        raise ValueError("durasi harus angka detik atau seperti '15m', '6h', '3d'")
    if seconds < 0:
        raise ValueError("durasi tidak boleh negatif")
    return seconds


#: Seconds, written in the file as ``90``, ``90s``, ``15m``, ``6h`` or ``3d``.
Duration = Annotated[float, BeforeValidator(parse_duration)]


class CollectorConfig(BaseModel):
    """One configured collector. ``type`` names the plugin; the keys below are the same for
    every collector (schedule, politeness, fault handling); every other key is the
    plugin's own setting, validated by the plugin's ``Settings`` model."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    enabled: bool = True
    #: how often each account is polled, and the random spread around it (0.1 = +-10%)
    interval: Duration = 900.0
    jitter: float = Field(default=0.1, ge=0, le=1)
    #: requests per second to each host; concurrent accounts polled at once
    rate: float | None = Field(default=1.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=256)
    #: per request; and the longest a request may wait for its host (rate, Retry-After)
    timeout: Duration = 30.0
    max_wait: Duration = 60.0
    #: posts created within this window are listed again to record edits and deletions,
    #: at most once per ``rescan_every``; ``lookback: 0`` turns re-scanning off. The first
    #: poll of an account also starts this far back.
    lookback: Duration = 3 * 86400.0
    rescan_every: Duration = 6 * 3600.0
    #: a failing account waits backoff_base, then twice as long, ... up to backoff_max
    backoff_base: Duration = 300.0
    backoff_max: Duration = 6 * 3600.0
    #: after this many failures in a row that are not about one account, the collector
    #: stops for breaker_cooldown (doubling while it keeps failing)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_cooldown: Duration = 1800.0

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CoverageSettings(_Strict):
    #: an account with no new post for this many days is listed as silent in the digest
    silent_days: int = Field(default=14, ge=1)
    #: an account whose polls have all failed for this many days is listed as unreachable
    unreachable_days: int = Field(default=2, ge=1)


Severity = Literal["low", "medium", "high", "critical"]
RuleStatus = Literal["experimental", "test", "stable"]


def known_timezone(value: str) -> str:
    """A pydantic check shared by the configuration and the candidate registries."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"zona waktu {value!r} tidak dikenal (contoh: Asia/Jakarta, Asia/Makassar, "
            "Asia/Jayapura)"
        ) from None
    return value


def _experimental() -> list[RuleStatus]:
    return ["experimental"]


class ModelSettings(_Strict):
    """The classifier: a local Hugging Face checkpoint directory (never a hub name)."""

    #: e.g. ``models/starter``; empty: rules only
    path: Path | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=8, le=512)
    #: replace candidate mentions with markers before the model sees the text
    mask_candidates: bool = True


class PolicySettings(_Strict):
    """How rule matches and class probabilities combine into one decision.

    P(violation) is the sum of the four violation classes' probabilities."""

    #: rules at or above this severity flag on their own (unless they need the model)
    rule_min_severity: Severity = "low"
    #: rules of these statuses flag only when the model agrees (besides ``requires_model``)
    model_agree_statuses: list[RuleStatus] = Field(default_factory=lambda: _experimental())
    #: the model agrees with a rule when P(violation) is at least this
    model_agree_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    #: the model flags on its own when P(violation) is at least this; empty: never alone
    model_flag_threshold: float | None = Field(default=0.97, ge=0.0, le=1.0)
    #: the severity of a decision the model made alone
    model_severity: Severity = "medium"
    #: drop non-critical rule matches when P(violation) is below this; empty: never
    model_veto_threshold: float | None = Field(default=None, ge=0.0, le=1.0)


class DetectionSettings(_Strict):
    model: ModelSettings = ModelSettings()
    policy: PolicySettings = PolicySettings()


class PipelineSettings(_Strict):
    #: Posts stored, or decided, per database transaction.
    batch_size: int = Field(default=200, ge=1, le=10_000)


class DigestSettings(_Strict):
    #: Where ``asn-monitor digest`` writes when no ``--out`` is given (under var_dir).
    out_dir: Path = Path("digests")
    #: When the daily digest is sent, in the election's timezone (HH:MM). Each digest
    #: covers exactly the time since the previous one was sent.
    time: str = "07:00"
    #: Notifiers that receive the digest (names under ``notifiers:``); empty: all enabled.
    notifiers: list[str] = Field(default_factory=list)

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            hour, minute = (int(part) for part in value.split(":"))
        except ValueError:
            raise ValueError(f"waktu {value!r} harus JJ:MM, mis. 07:00") from None
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"waktu {value!r} harus JJ:MM, mis. 07:00")
        return f"{hour:02d}:{minute:02d}"


class NoticeSettings(_Strict):
    #: Alerts at or above this severity are sent at once, not only in the digest; null: off.
    min_severity: Severity | None = "critical"
    #: No second notice for the same account and rule within this time (counted instead).
    suppress_for: Duration = 6 * 3600.0
    #: Notifiers that receive notices; empty: all enabled.
    notifiers: list[str] = Field(default_factory=list)


class OutboxSettings(_Strict):
    #: A failed delivery is retried after backoff_base, twice as long, ... up to
    #: backoff_max; after max_attempts it is marked failed and shown by 'status'.
    backoff_base: Duration = 60.0
    backoff_max: Duration = 3600.0
    max_attempts: int = Field(default=12, ge=1)


class NotifierConfig(BaseModel):
    """One configured notifier. ``type`` names the plugin (email, file, webhook,
    telegram); every other key is the plugin's own setting."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    enabled: bool = True

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class FormASettings(_Strict):
    """Section I of Form A (Laporan Hasil Pengawasan): who supervised, under which
    assignment letter. Printed on the draft; a reviewer completes what is missing."""

    pengawas_nama: str = ""
    pengawas_jabatan: str = ""
    nomor_surat_perintah: str = ""
    #: e.g. "Bawaslu Kabupaten Sukamaju"
    lembaga: str = ""
    tempat: str = ""


class DaemonSettings(_Strict):
    """``asn-monitor run`` (the service)."""

    #: worker threads of the scheduler (collection, detection, delivery, digest run side by
    #: side; each job never overlaps itself)
    threads: int = Field(default=4, ge=1, le=64)
    #: how often the service looks for accounts whose poll is due (each account follows its
    #: collector's interval), decides pending posts, and delivers the outbox
    collect_every: Duration = 60.0
    detect_every: Duration = 60.0
    deliver_every: Duration = 30.0
    #: after SIGTERM the current batch finishes and commits; then the process exits
    shutdown_timeout: Duration = 25.0
    #: a job missed by more than this (the service was down) runs once at start
    misfire_grace: Duration = 3600.0


class RetentionSettings(_Strict):
    """How long personal data is kept (UU 27/2022 Ps. 16(2), 42-44)."""

    #: posts that raised no alert are deleted this many days after they were collected
    posts_days: int = Field(default=30, ge=1)
    #: dismissed alerts (with their posts and screenshots) this many days after dismissal
    dismissed_days: int = Field(default=90, ge=1)
    #: delivered or abandoned outbox messages (digest e-mails and notices: they quote posts
    #: and name people) this many days after they were written
    messages_days: int = Field(default=30, ge=1)
    #: files the tool writes for people under var/ (digests in digest.out_dir, Form A
    #: drafts and referral lists in var/form-a, evidence bundles in var/exports) this many
    #: days after they were last written; each can be made again while its alerts are kept
    files_days: int = Field(default=30, ge=1)
    #: when the daily purge runs (election timezone, HH:MM)
    time: str = "03:00"

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return DigestSettings._clock_time(value)


class WatchlistSettings(_Strict):
    #: the watchlist file the service imports at start and on SIGHUP (None: managed with
    #: 'asn-monitor watchlist import' only)
    path: Path | None = None


class MetricsSettings(_Strict):
    #: serve Prometheus metrics on this address, e.g. "127.0.0.1:9308" (None: off). Only
    #: loopback addresses are accepted: put a reverse proxy in front to expose it.
    listen: str | None = None


class LoggingSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class Settings(_Strict):
    timezone: str = "Asia/Jakarta"
    #: Working directory for the SQLite database, digests and evidence.
    var_dir: Path = Path("var")
    database: DatabaseSettings = DatabaseSettings()
    rules: RulesSettings = RulesSettings()
    candidates: CandidatesSettings = CandidatesSettings()
    collectors: dict[str, CollectorConfig] = Field(default_factory=dict)
    detection: DetectionSettings = DetectionSettings()
    pipeline: PipelineSettings = PipelineSettings()
    digest: DigestSettings = DigestSettings()
    notices: NoticeSettings = NoticeSettings()
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)
    outbox: OutboxSettings = OutboxSettings()
    form_a: FormASettings = FormASettings()
    daemon: DaemonSettings = DaemonSettings()
    retention: RetentionSettings = RetentionSettings()
    watchlist: WatchlistSettings = WatchlistSettings()
    metrics: MetricsSettings = MetricsSettings()
    coverage: CoverageSettings = CoverageSettings()
    logging: LoggingSettings = LoggingSettings()

    #: Directory relative paths are resolved against; set by the loader, not the file.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolve(self, path: Path) -> Path:
        """An absolute, normalised path; relative ones start at the configuration's folder."""
        return Path(os.path.normpath(path if path.is_absolute() else self.base_dir / path))

    @property
    def var_path(self) -> Path:
        return self.resolve(self.var_dir)

    @property
    def database_url(self) -> str:
        env = os.environ.get(DATABASE_URL_ENV)
        if env:
            return env
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.var_path / 'asn-monitor.db'}"

    @property
    def auto_upgrade(self) -> bool:
        if self.database.auto_upgrade is not None:
            return self.database.auto_upgrade
        return self.database_url.startswith("sqlite")

    @property
    def rule_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.rules.paths]

    @property
    def model_path(self) -> Path | None:
        path = self.detection.model.path
        return self.resolve(path) if path is not None else None

    @property
    def candidate_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.candidates.paths]

    @property
    def digest_dir(self) -> Path:
        return self.resolve(self.var_dir / self.digest.out_dir)


def default_config_path() -> Path | None:
    """``$MONITOR_CONFIG``, else ``./monitor.yaml`` when it exists, else none."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    local = Path("monitor.yaml")
    return local if local.exists() else None


def parse_settings(doc: YamlDocument, base_dir: Path) -> Settings:
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [doc.problem((), "berkas konfigurasi harus berupa pemetaan", "not-mapping")]
        )
    try:
        return Settings.model_validate({**data, "base_dir": base_dir, "source": doc.path})
    except ValidationError as exc:
        raise ConfigError(validation_problems(doc, exc)) from None


def load_settings(path: Path | str | None) -> tuple[Settings, YamlDocument | None]:
    """Load and validate the configuration; every problem is reported, located."""
    if path is None:
        return Settings(), None
    p = Path(path)
    try:
        doc = load_yaml(p)
    except YamlError as exc:
        raise ConfigError(exc.problems) from None
    # base_dir and source are set by the loader; in the file they are unknown keys (and
    # the other problems are still reported with them)
    reserved = [
        doc.problem(loc, f"kunci {loc[0]!r} tidak dikenal", "unknown-key", key=True)
        for loc in doc.keys
        if len(loc) == 1 and loc[0] in ("base_dir", "source")
    ]
    try:
        settings = parse_settings(doc, p.resolve().parent)
    except ConfigError as exc:
        raise ConfigError([*reserved, *exc.problems]) from None
    if reserved:
        raise ConfigError(reserved)
    return settings, doc


def usable_settings(path: Path | str) -> tuple[Settings, YamlDocument] | None:
    """The parts of an invalid configuration that are valid on their own: each top-level
    section, and each collector, that validates alone is kept, the rest left at defaults.
    ``config check`` uses it to go on to the plugin and path checks, so that one run
    reports every problem. None when the file cannot be read as a mapping at all."""
    p = Path(path)
    try:
        doc = load_yaml(p)
    except YamlError:
        return None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        return None
    base = {"base_dir": p.resolve().parent, "source": doc.path}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key in base:
            continue
        if key in ("collectors", "notifiers") and isinstance(value, dict):
            entry_model = CollectorConfig if key == "collectors" else NotifierConfig
            value = {
                name: entry
                for name, entry in value.items()
                if isinstance(name, str) and _valid(entry_model, entry)
            }
        if _valid(Settings, {key: value, **base}):
            kept[key] = value
    return Settings.model_validate({**kept, **base}), doc


def _valid(model: type[BaseModel], data: Any) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def problems_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)
