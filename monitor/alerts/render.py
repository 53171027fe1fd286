"""Renders digests with Jinja2: HTML with inline CSS (it must survive e-mail clients) and
Markdown. Templates live in ``monitor/alerts/templates``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.alerts.digest import Digest, label_of, long_date

SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#b91c1c", "medium": "#c2410c", "low": "#4b5563"}


def _when(value: datetime) -> str:
    return f"{long_date(value.date())} {value:%H.%M} {value.tzname() or ''}".strip()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = lambda code, kind: label_of(kind, code)
    env.filters["when"] = _when
    env.globals["severity_colour"] = lambda code: SEVERITY_COLOURS.get(code, "#4b5563")
    return env


_ENV = _environment()


def render_html(digest: Digest) -> str:
    return _ENV.get_template("digest.html.j2").render(d=digest)


def render_markdown(digest: Digest) -> str:
    return _ENV.get_template("digest.md.j2").render(d=digest)


def write_digest(digest: Digest, out_dir: Path) -> dict[str, Path]:
    """Write ``digest-YYYY-MM-DD.html`` and ``.md``; each file is replaced atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind, text in (("html", render_html(digest)), ("md", render_markdown(digest))):
        target = out_dir / f"digest-{digest.day.isoformat()}.{kind}"
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written[kind] = target
    return written
