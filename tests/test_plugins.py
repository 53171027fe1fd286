"""monitor.plugins: built-ins and outside packages register through the same entry points."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import plugins
from monitor.collect.base import Collector
from monitor.collect.jsonl import JsonlCollector
from monitor.detect.base import Detector
from monitor.detect.rules_detector import RuleDetector
from monitor.errors import PluginError
from monitor.plugins import PluginInfo
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("kind", "name", "target", "cls"),
    [
        pytest.param(
            "collectors",
            "jsonl",
            "monitor.collect.jsonl:JsonlCollector",
            JsonlCollector,
            id="jsonl",
        ),
        *(
            pytest.param("collectors", name, target, None, id=name)
            for name, target in [
                ("x_api", "monitor.collect.xapi:XApiCollector"),
                ("mastodon", "monitor.collect.mastodon:MastodonCollector"),
                ("feed", "monitor.collect.feed:FeedCollector"),
                ("snscrape", "monitor.collect.snscrape:SnscrapeCollector"),
            ]
        ),
        pytest.param(
            "detectors",
            "rules",
            "monitor.detect.rules_detector:RuleDetector",
            RuleDetector,
            id="rules",
        ),
    ],
)
def test_built_ins_are_entry_points(kind: plugins.Kind, name: str, target: str, cls: type):
    assert PluginInfo(kind, name, target, "asn-monitor") in plugins.available(kind)
    loaded = plugins.load(kind, name)
    if cls is None:  # named by its target only, to keep heavy imports out of collection
        module, _, attr = target.partition(":")
        cls = getattr(importlib.import_module(module), attr)
    assert loaded is cls


@pytest.mark.parametrize(
    ("kind", "base"),
    [
        pytest.param("collectors", Collector, id="collectors"),
        pytest.param("detectors", Detector, id="detectors"),
    ],
)
def test_every_plugin_implements_its_interface_under_its_name(kind: plugins.Kind, base: type):
    infos = plugins.available(kind)
    assert infos, f"no {kind} installed"
    assert [i.name for i in infos] == sorted(i.name for i in infos)
    for info in infos:
        cls = plugins.load(kind, info.name)
        assert issubclass(cls, base)
        assert cls.name == info.name


def test_collectors_declare_their_settings():
    for info in plugins.available("collectors"):
        cls = plugins.load("collectors", info.name)
        assert cls.Settings.model_config.get("extra") == "forbid", info.name


def test_the_built_in_notifiers_implement_their_interface():
    from monitor.alerts.notifiers.base import Notifier

    built_in = [i for i in plugins.available("notifiers") if i.distribution == "asn-monitor"]
    assert [i.name for i in built_in] == ["email", "file", "telegram", "webhook"]
    for info in built_in:
        cls = plugins.load("notifiers", info.name)
        assert issubclass(cls, Notifier) and cls.name == info.name
        assert cls.Settings.model_config.get("extra") == "forbid", info.name


@pytest.mark.parametrize(
    ("kind", "name", "words"),
    [
        pytest.param(
            "collectors",
            "rss",
            ["collector 'rss'", "terpasang: feed, jsonl, mastodon, snscrape, x_api"],
            id="collector",
        ),
        pytest.param(
            "detectors", "classifier", ["detector 'classifier'", "terpasang: rules"], id="detector"
        ),
        pytest.param(
            "detectors", "keywords", ["detector 'keywords'", "terpasang: rules"], id="old-keywords"
        ),
        pytest.param("collectors", "JSONL", ["'JSONL'", "jsonl"], id="names-are-exact"),
    ],
)
def test_unknown_name_says_what_is_installed(kind: plugins.Kind, name: str, words: list[str]):
    with pytest.raises(PluginError) as caught:
        plugins.load(kind, name)
    message = str(caught.value)
    assert "tidak terpasang" in message
    for word in words:
        assert word in message


def test_unknown_notifier_when_none_is_installed():
    if plugins.available("notifiers"):
        pytest.skip("a notifier is installed in this environment")
    with pytest.raises(
        PluginError, match=r"notifier 'smtp' tidak terpasang \(terpasang: tidak ada\)"
    ):
        plugins.load("notifiers", "smtp")


# -- an outside package: a real distribution on sys.path --------------------------------

PLUGIN_MODULE = """
from collections.abc import Iterator
from pydantic import BaseModel
from monitor.collect.base import Collector

class DemoSettings(BaseModel):
    url: str = ""

class DemoCollector(Collector):
    name = "demo"
    Settings = DemoSettings

    def serves(self, account):
        return True

    def fetch(self, account, cursor) -> Iterator:
        return iter(())
"""


def install_demo(folder: Path, entry_points: str) -> Path:
    """A real distribution (module + dist-info) that importlib.metadata finds on the path."""
    (folder / "asnmon_demo_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    dist = folder / "asnmon_demo_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: asnmon-demo-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return folder


@pytest.fixture
def outside_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """One good and one broken collector from an outside package."""
    install_demo(
        tmp_path,
        "[monitor.collectors]\n"
        "demo = asnmon_demo_plugin:DemoCollector\n"
        "broken = asnmon_demo_plugin_missing:Nothing\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("asnmon_demo_plugin", None)


def test_outside_plugin_is_listed_and_loaded_like_a_built_in(outside_package: Path):
    infos = {i.name: i for i in plugins.available("collectors")}
    assert infos["demo"] == PluginInfo(
        "collectors", "demo", "asnmon_demo_plugin:DemoCollector", "asnmon-demo-plugin"
    )
    assert "jsonl" in infos
    cls = plugins.load("collectors", "demo")
    assert issubclass(cls, Collector)
    assert cls.name == "demo"
    installed = "broken, demo, feed, jsonl, mastodon, snscrape, x_api"
    with pytest.raises(PluginError, match=rf"terpasang: {installed}"):
        plugins.load("collectors", "rss")


def test_plugin_that_fails_to_import_is_a_plugin_error(outside_package: Path):
    with pytest.raises(PluginError, match="collector 'broken' gagal dimuat") as caught:
        plugins.load("collectors", "broken")
    assert isinstance(caught.value.__cause__, ImportError)


# -- the command ------------------------------------------------------------------------


def test_plugins_command_lists_built_ins_and_outside_plugins(tmp_path: Path):
    install_demo(tmp_path, "[monitor.collectors]\ndemo = asnmon_demo_plugin:DemoCollector\n")
    result = run_cli("plugins", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["jsonl", "monitor.collect.jsonl:JsonlCollector", "[asn-monitor]"] in lines
    assert ["rules", "monitor.detect.rules_detector:RuleDetector", "[asn-monitor]"] in lines
    assert ["demo", "asnmon_demo_plugin:DemoCollector", "[asnmon-demo-plugin]"] in lines
