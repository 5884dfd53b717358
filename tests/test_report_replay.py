"""The report's shortcuts change no figure: a large generated export reported with them and without.

The report renders a message's text only where it is read, formats dates once per minute shown and
language, and computes a ticket's timed-stage deadlines once per replay. Here the same seeded
export (the quick start's generator, 4,000 tickets) is reported in every format with the shortcuts
and again with each undone (texts rendered at once, every instant formatted, every deadline
recomputed), and the outputs must be identical byte for byte.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from matrixcore import _policies, _templates
from matrixcore._cli import main
from matrixcore._decision import Message

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("generate_tickets", QUICKSTART / "generate_tickets.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    folder = tmp_path_factory.mktemp("large")
    path = folder / "tickets.csv"
    generator.write(path, 4000, "csv")
    config = (QUICKSTART / "report.yaml").read_text(encoding="utf-8")
    config = config.replace("rules: rules.yaml", f"rules: {QUICKSTART / 'rules.yaml'}")
    (folder / "report.yaml").write_text(config, encoding="utf-8")
    return folder / "report.yaml"


def _report(config: Path, *options: str) -> str:
    result = CliRunner().invoke(main, ["report", "--config", str(config), *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return _GENERATED.sub("", result.output)  # when the report was made: the only figure that may differ


_GENERATED = re.compile(r'"generated_at": ?"[^"]*"')


def _without_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered_at_once = Message.__init__

    def eager(self: Message, *args: Any) -> None:
        rendered_at_once(self, *args)
        assert isinstance(self.text, str)  # renders now, as before

    monkeypatch.setattr(Message, "__init__", eager)
    monkeypatch.setattr(_templates, "_to_the_minute", lambda pattern: False)
    _templates._format_instant.cache_clear()
    original = _policies.PolicySet._candidates

    def recompute(self: _policies.PolicySet, *args: Any) -> Any:
        self._stages = (None, None, {})  # forget the last ticket's stage deadlines
        return original(self, *args)

    monkeypatch.setattr(_policies.PolicySet, "_candidates", recompute)


@pytest.mark.parametrize(
    "options",
    [(), ("--format", "json", "--tickets", "all"), ("--format", "csv", "--tickets", "all")],
    ids=["table", "json", "csv"],
)
def test_every_figure_and_text_is_the_same_without_the_shortcuts(
    export: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    fast = _report(export, *options)
    assert "tickets" in fast
    with monkeypatch.context() as undone:
        _without_shortcuts(undone)
        slow = _report(export, *options)
    assert fast == slow
    if "json" in options:
        assert '"text":' in fast  # message texts are in the output, so compared too


def test_dates_to_the_minute_match_babel_at_every_second(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    zone = ZoneInfo("Europe/Amsterdam")
    start = datetime(2025, 3, 30, 0, 59, 1, tzinfo=UTC)  # across the spring DST change
    for minutes in range(0, 24 * 60, 7):
        value = (start + timedelta(minutes=minutes, seconds=minutes % 60)).astimezone(zone)
        for language, pattern in (("nl", "EEEE d MMMM 'om' HH:mm"), ("en", "d MMM yyyy, h:mm a")):
            expected = format_datetime(value, pattern, tzinfo=zone, locale=language)
            assert _templates._format_date(value, pattern, language, zone) == expected
    assert not _templates._to_the_minute("HH:mm:ss")
    assert not _templates._to_the_minute("medium")
    assert _templates._to_the_minute("HH:mm 'sharp'")
