"""asn-monitor: flags public social-media posts of civil servants that may breach
election neutrality, for Bawaslu's internet-monitoring team. It only flags: a person
decides."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asn-monitor")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"
