"""The quick start a newcomer runs first: the README's command, and the sample export it reads."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shlex
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from matrixcore._cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"


def _bash_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip().splitlines() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def _generator():
    spec = importlib.util.spec_from_file_location("generate_tickets", QUICKSTART / "generate_tickets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_starts_with_install_and_the_report_and_it_works(monkeypatch):
    first = _bash_blocks()[0]
    assert first == ["pip install .", "matrixcore report --config examples/quickstart/report.yaml"]
    monkeypatch.chdir(ROOT)  # the README's commands run from the repository root
    result = CliRunner().invoke(main, shlex.split(first[1])[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "would get another priority" in result.stdout
    assert "Consistency audit" in result.stdout


def test_the_committed_sample_is_what_its_seeded_generator_writes(tmp_path):
    generator = _generator()
    fresh = tmp_path / "tickets.csv"
    generator.write(fresh, 2000, "csv")
    assert fresh.read_bytes() == (QUICKSTART / "tickets.csv").read_bytes()


def test_the_sample_is_a_realistic_desk():
    with (QUICKSTART / "tickets.csv").open(encoding="utf-8", newline="") as export:
        rows = list(csv.DictReader(export, delimiter=";"))
    assert 1900 <= len(rows) <= 2100
    assert (QUICKSTART / "tickets.csv").stat().st_size < 400_000
    channels = Counter(r["Aanmeldingswijze"] for r in rows)
    assert set(channels) == {"E-mail", "Zelfbedieningsportaal", "Telefoon", "Chat", "Twitter", "Facebook"}
    assert min(channels.values()) > 50
    languages = Counter(r["Taal"] for r in rows)
    assert 0.1 < languages["en"] / len(rows) < 0.3
    assert any("Wachtwoord" in r["Korte omschrijving"] for r in rows)
    assert any("password" in r["Korte omschrijving"].lower() for r in rows)
    days = {r["Datum aanmelding"][:10] for r in rows}
    holidays = {"18-04-2025", "21-04-2025", "05-05-2025", "29-05-2025", "09-06-2025"}
    assert holidays <= days  # tickets arrive on holidays too (e-mail, portal, social), fewer of them
    on_holidays = sum(r["Datum aanmelding"][:10] in holidays for r in rows)
    assert on_holidays < 5 * 10
    # Phone and chat only while the desk is open, never on a holiday.
    live = [r for r in rows if r["Aanmeldingswijze"] in ("Telefoon", "Chat")]
    assert not [r for r in live if r["Datum aanmelding"][:10] in holidays]
    assert all("08:30" <= r["Datum aanmelding"][11:] <= "17:30" for r in live)
    resolved = [r for r in rows if r["Datum gereed"]]
    assert 0.9 < len(resolved) / len(rows) < 1
    assert any(r["Behandelstatus"] == "Aangemeld" and not r["Datum reactie"] for r in rows)  # open at export


def test_the_generator_also_writes_json_lines(tmp_path):
    generator = _generator()
    out = tmp_path / "t.jsonl"
    count = generator.write(out, 200, "jsonl")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == count
    assert re.match(
        r'\{"Incidentnummer": "I 2503 001", "Datum aanmelding": "2025-03-31T\d\d:\d\d\+02:00"', lines[0]
    )
    assert tuple(json.loads(lines[0])) == generator.COLUMNS
