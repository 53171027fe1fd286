"""Renders the Form A draft (``form_a.html.j2``: A4 print CSS, no external resources, no
JavaScript, autoescaped) and writes it, replacing an earlier draft of the day atomically."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from monitor.alerts.digest import long_date
from monitor.alerts.forma import FormA
from monitor.labels import CATEGORY, MONTHS, PLATFORM, ROUTE, STAGE, label


def plain_date(day: date) -> str:
    """``18 November 2024``, as the place and date above a signature."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def when(value: datetime) -> str:
    """``Senin, 18 November 2024 19.30 WIB``."""
    return f"{long_date(value.date())} {value:%H.%M} {value.tzname() or ''}".strip()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=True,  # post texts and names are user content
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    tables = {"category": CATEGORY, "platform": PLATFORM, "stage": STAGE, "route": ROUTE}
    env.filters["label"] = lambda code, kind: label(tables[kind], code)
    env.filters["when"] = when
    env.filters["plain_date"] = plain_date
    return env


_ENV = _environment()


def render_form_a(form: FormA) -> str:
    return _ENV.get_template("form_a.html.j2").render(f=form)


def write_atomic(target: Path, data: bytes) -> str:
    """Write ``data`` to ``target`` through a temporary file; returns its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return hashlib.sha256(data).hexdigest()


def form_a_path(out_dir: Path, day: date) -> Path:
    return out_dir / f"form-a-{day.isoformat()}.html"


def write_form_a(form: FormA, out_dir: Path) -> tuple[Path, str]:
    """Write ``form-a-YYYY-MM-DD.html`` (replaced atomically); returns it and its SHA-256."""
    target = form_a_path(out_dir, form.day)
    return target, write_atomic(target, render_form_a(form).encode("utf-8"))
