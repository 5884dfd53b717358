"""From one daemon on SQLite to daemons on PostgreSQL: ``matrixcore state migrate`` copies every
cursor, ticket, decision and ledger entry; ``matrixcore state`` reads both alike; ``state.url``
comes from a secret and is never shown with its password."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cmd_state import state_file  # noqa: F401

from matrixcore._cli import main
from matrixcore._config import load_config
from matrixcore._daemon_settings import DaemonSettings
from matrixcore._errors import ConfigError
from matrixcore.state import PostgresStateStore, StateLock, StateStore, copy_state


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["state", *args], catch_exceptions=False)
    return result.exit_code, result.output


def _everything(store: StateStore) -> dict[str, object]:
    tickets = {t: store.find_tickets(t) for t in "123"}
    return {
        "summaries": [s.as_dict() for s in store.summaries()],
        "tickets": tickets,
        "decisions": {t: store.decisions("td", t) for t in "123"},
        "messages": {t: store.messages("td", t) for t in "123"},
        "cursor": store.cursor("td"),
    }


def test_migrate_copies_every_row_and_state_reads_it_the_same(
    state_file: Path,  # noqa: F811
    postgres_url: str,
) -> None:
    code, out = invoke("migrate", "--from", str(state_file), "--to", postgres_url)
    assert code == 0, out
    with StateStore(state_file, read_only=True) as source, PostgresStateStore(postgres_url) as target:
        counts = source.counts()
        assert f"{counts['decisions']} decisions" in out
        assert target.counts() == counts
        assert _everything(target) == _everything(source)
    code, file_view = invoke("--state", str(state_file), "--format", "json", "1")
    code2, db_view = invoke("--state", postgres_url, "--format", "json", "1")
    assert (code, code2) == (0, 0)
    assert json.loads(db_view) == json.loads(file_view)
    code, summary = invoke("--state", postgres_url)
    assert code == 0
    assert "postgresql://postgres@/" in summary


def test_migrate_refuses_a_database_that_holds_a_state(
    state_file: Path,  # noqa: F811
    postgres_url: str,
) -> None:
    assert invoke("migrate", "--from", str(state_file), "--to", postgres_url)[0] == 0
    code, out = invoke("migrate", "--from", str(state_file), "--to", postgres_url)
    assert code == 2
    assert "not empty" in out


def test_migrate_refuses_while_a_daemon_runs_on_the_file(
    state_file: Path,  # noqa: F811
    postgres_url: str,
) -> None:
    lock = StateLock(state_file)
    lock.acquire()
    try:
        code, out = invoke("migrate", "--from", str(state_file), "--to", postgres_url)
    finally:
        lock.release()
    assert code == 2
    assert "in use by another matrixcore run" in out
    with PostgresStateStore(postgres_url) as target:
        assert set(target.counts().values()) == {0}


def test_migrate_needs_a_postgresql_target_and_a_reachable_database(
    state_file: Path,  # noqa: F811
    postgres_cluster: object,
) -> None:
    code, out = invoke("migrate", "--from", str(state_file), "--to", "/tmp/other.sqlite3")
    assert code == 2
    assert "postgresql://" in out
    code, out = invoke("migrate", "--from", str(state_file), "--to", "postgresql://u:pw@/x?host=/nonexistent")
    assert code == 3
    assert "pw" not in out.replace("postgresql://u:***", "")
    code, out = invoke("migrate", "--help")
    assert code == 0
    assert "systemctl stop matrixcore" in out


def test_a_dry_run_on_postgresql_works_on_a_private_copy(
    state_file: Path,  # noqa: F811
    postgres_url: str,
) -> None:
    from matrixcore.state import open_store

    with StateStore(state_file, read_only=True) as source, PostgresStateStore(postgres_url) as target:
        copy_state(source, target)
    copy = open_store(state_file, postgres_url, dry_run=True)
    try:
        assert copy.path == ":memory:"
        assert copy.cursor("td") is not None
        copy.set_cursor("td", "changed-in-the-dry-run", datetime.now(UTC))
    finally:
        copy.close()
    with PostgresStateStore(postgres_url) as target:
        assert target.cursor("td") != "changed-in-the-dry-run"


def _settings(tmp_path: Path, state: str) -> DaemonSettings:
    path = tmp_path / "matrixcore.yaml"
    path.write_text(f"rules: rules.yaml\nstate:\n{textwrap.indent(textwrap.dedent(state), '  ')}")
    return DaemonSettings.from_config(load_config(path))


def test_state_url_from_a_secret_and_never_shown_with_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)
    monkeypatch.setenv("STATE_URL", "postgresql://matrixcore:s3cret@db.example.net/matrixcore")
    settings = _settings(tmp_path, "url: {env: STATE_URL}\nlease: {ttl: 10s}\n")
    assert settings.state_url is not None
    assert settings.state_url.reveal().endswith("@db.example.net/matrixcore")
    assert settings.lease_ttl == 10.0
    assert settings.as_dict()["state"] == "postgresql://matrixcore:***@db.example.net/matrixcore"
    (tmp_path / "url").write_text("postgresql://matrixcore:s3cret@db/m\n")
    assert _settings(tmp_path, "url: {file: url}\n").state_shown == "postgresql://matrixcore:***@db/m"
    inline = _settings(tmp_path, "url: postgresql://matrixcore@db/m\n")
    assert inline.state_url is not None
    assert inline.state_url.reveal() == "postgresql://matrixcore@db/m"
    monkeypatch.setenv("MATRIXCORE_STATE", "postgresql://other@db2/m")
    assert _settings(tmp_path, "path: s.sqlite3\n").state_shown == "postgresql://other@db2/m"
    assert inline.override(state_path="/var/x.sqlite3").state_url is None  # --state FILE wins


def test_a_password_inline_in_state_url_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)
    with pytest.raises(ConfigError) as error:
        _settings(tmp_path, "url: postgresql://matrixcore:s3cret@db/m\n")
    assert "state.url: holds a password" in str(error.value)
    assert "s3cret" not in str(error.value)
