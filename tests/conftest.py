"""Shared fixtures: the quick-start ruleset and a small inline one for error tests."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The adapter authors' test kit (local_server, fake_clock, fast_retry, adapter_context), used as they use it.
pytest_plugins = ["matrixcore.testing.plugin"]

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"


def research_data() -> Path:
    """The shared research data beside the checkout (or $MATRIXCORE_RESEARCH_DATA)."""
    env = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "research-data"


@pytest.fixture(name="research_data")
def research_data_fixture() -> Path:
    """``research_data()`` as a fixture: test modules never import conftest (several test folders
    run in one session, each with a conftest of its own)."""
    return research_data()


#: A small valid ruleset: 3x3 matrix, one calendar, two rules, messages in nl and en.
SMALL_RULES = textwrap.dedent(
    """\
    version: 1
    matrix:
      impact: [high, medium, low]
      urgency: [high, medium, low]
      cells:
        high:   {high: P1, medium: P2, low: P3}
        medium: {high: P2, medium: P3, low: P4}
        low:    {high: P3, medium: P4, low: P4}
    priorities:
      P1: {pickup: {within: 30m}, resolve: {within: 4h}}
      P2: {pickup: {within: 1h}, resolve: {within: 8h}}
      P3: {pickup: {within: 4h}, resolve: {within: 16h}}
      P4: {pickup: {within: 8h}, resolve: {within: 40h}}
    default_calendar: office
    calendars:
      office:
        timezone: Europe/Amsterdam
        hours: {mon-fri: ["09:00-17:00"]}
    rules:
      - name: outage
        when: {subject: {matches: "(?i)outage"}}
        set: {impact: high, urgency: high}
        reason: {en: we are fixing an outage first, nl: we eerst een storing oplossen}
      - name: vip
        when: {requester.vip: {eq: true}}
        set: {urgency: high}
    defaults: {impact: low, urgency: medium}
    messages:
      fallback_language: en
      policies:
        - {name: ack, event: classified, template: ack}
      templates:
        ack:
          en: "Ticket {ticket.number}: picked up by {pickup_by} at the latest."
          nl: "Melding {ticket.number}: uiterlijk {pickup_by} opgepakt."
    """
)


@pytest.fixture
def small_rules_text() -> str:
    return SMALL_RULES


@pytest.fixture
def quickstart_rules() -> Path:
    return QUICKSTART / "rules.yaml"


#: ``install_plugin(module, source, dist=..., version=..., name=...)`` -> the module's path.
InstallPlugin = Callable[..., Path]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InstallPlugin]:
    """Install throwaway plugin distributions the way pip leaves them: a module and a ``*.dist-info``
    with ``METADATA`` and an ``entry_points.txt`` in the ``matrixcore`` group, on a path entry of
    their own. ``importlib.metadata`` finds them exactly as it finds a real installed plugin."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("MATRIXCORE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("MATRIXCORE_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("MATRIXCORE_DISABLE_PLUGINS", raising=False)
    modules: list[str] = []

    def install(
        module: str, source: str, *, dist: str = "", version: str = "1.0", name: str = "", target: str = ""
    ) -> Path:
        dist = dist or module.replace("_", "-")
        path = site / f"{module}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[matrixcore]\n{name or module} = {target or module}\n")
        modules.append(module)
        importlib.invalidate_caches()
        return path

    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[object]:
    """One throwaway PostgreSQL cluster for the session (``tests/pg_support.py``); skipped with the
    reason where no server binaries exist, failed instead where CI requires them."""
    from pg_support import PostgresCluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("MATRIXCORE_REQUIRE_POSTGRES"):
            pytest.fail("MATRIXCORE_REQUIRE_POSTGRES is set but no PostgreSQL server binaries (initdb) exist")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: apt install postgresql")
    cluster = PostgresCluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: object) -> str:
    """A fresh empty database in the session's cluster."""
    return postgres_cluster.database()  # type: ignore[attr-defined, no-any-return]
