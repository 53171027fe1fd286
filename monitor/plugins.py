"""Entry-point registry for collectors, detectors and notifiers.

Built-ins register through the same entry-point groups an outside package would use
(see ``[project.entry-points]`` in pyproject.toml), so ``asn-monitor plugins`` lists
both alike. Loading is lazy: listing plugins imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from monitor.errors import PluginError

Kind = Literal["collectors", "detectors", "notifiers"]
KINDS: tuple[Kind, ...] = ("collectors", "detectors", "notifiers")


@dataclass(frozen=True)
class PluginInfo:
    kind: Kind
    name: str
    target: str
    distribution: str


def _group(kind: Kind) -> str:
    return f"monitor.{kind}"


def _entry_points(kind: Kind) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=_group(kind))}


def available(kind: Kind) -> list[PluginInfo]:
    infos = []
    for name, ep in sorted(_entry_points(kind).items()):
        dist = ep.dist.name if ep.dist is not None else "?"
        infos.append(PluginInfo(kind, name, ep.value, dist))
    return infos


def load(kind: Kind, name: str) -> Any:
    """The plugin class registered as ``name``; an unknown name says what is installed."""
    eps = _entry_points(kind)
    if name not in eps:
        installed = ", ".join(sorted(eps)) or "tidak ada"
        raise PluginError(f"{kind[:-1]} {name!r} tidak terpasang (terpasang: {installed})")
    try:
        return eps[name].load()
    except Exception as exc:  # a broken plugin must not take the daemon down
        raise PluginError(f"{kind[:-1]} {name!r} gagal dimuat: {exc}") from exc
