"""The PostgreSQL state with several daemons: fair claims that rebalance, takeover of a dead daemon's
connections, the fence that rejects a stale daemon's writes, and a ledger the database keeps unique.

Against a real PostgreSQL the tests start themselves (``postgres_cluster`` in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from daemon_support import Helpdesk
from prometheus_client import CollectorRegistry
from test_daemon import Running, helpdesks, make_daemon, synced, token, wait_for  # noqa: F401

from matrixcore import Secret
from matrixcore.state import FencedWrite, LeaseManager, LedgerEntry, PostgresStateStore, StateError

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CONNECTIONS = [f"desk-{i}" for i in range(6)]


class Daemon:
    """The state side of one daemon: its store and its leases, driven round by round."""

    def __init__(self, url: str, name: str, ttl: float = 30.0) -> None:
        self.store = PostgresStateStore(url, owner=name)
        self.registry = CollectorRegistry()
        self.leases = LeaseManager(self.store, CONNECTIONS, ttl=ttl, registry=self.registry)

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    def close(self) -> None:
        self.leases.stop()
        self.store.close()


@pytest.fixture
def daemons(postgres_url: str) -> Iterator[list[Daemon]]:
    made: list[Daemon] = []
    yield made
    for daemon in made:
        daemon.close()


def test_claims_are_shared_fairly_and_rebalance_when_a_daemon_joins_or_leaves(
    postgres_url: str, daemons: list[Daemon]
) -> None:
    a = Daemon(postgres_url, "a")
    daemons.append(a)
    a.leases.round()
    assert a.leases.owned() == CONNECTIONS  # alone, it takes everything at once
    b = Daemon(postgres_url, "b")
    daemons.append(b)
    b.leases.round()  # nothing free yet
    a.leases.round()  # two live daemons: a gives up its surplus
    b.leases.round()
    assert len(a.leases.owned()) == len(b.leases.owned()) == 3
    assert not set(a.leases.owned()) & set(b.leases.owned())
    assert a.metric("matrixcore_lease_connections_owned") == 3
    b.leases.stop()  # a graceful stop releases at once
    daemons.remove(b)
    b.store.close()
    a.leases.round()
    assert a.leases.owned() == CONNECTIONS
    assert a.metric("matrixcore_lease_takeovers_total") == 0  # released, not taken over


def test_a_busy_connection_is_released_only_between_cycles(postgres_url: str, daemons: list[Daemon]) -> None:
    a = Daemon(postgres_url, "a")
    daemons.append(a)
    a.leases.round()
    a.leases.busy = lambda name: True
    b = Daemon(postgres_url, "b")
    daemons.append(b)
    b.leases.round()
    a.leases.round()
    assert a.leases.owned() == CONNECTIONS  # every one mid-cycle: none given up yet,
    assert sum(a.leases.owns(c) for c in CONNECTIONS) == 3  # but the surplus starts no other cycle
    a.leases.busy = lambda name: False
    a.leases.round()
    assert len(a.leases.owned()) == 3


def test_a_dead_daemons_connections_are_taken_over_and_its_late_writes_fenced(
    postgres_url: str, daemons: list[Daemon]
) -> None:
    a = Daemon(postgres_url, "a", ttl=0.6)
    b = Daemon(postgres_url, "b", ttl=0.6)
    daemons += [a, b]
    a.leases.round()
    b.leases.round()
    a.store.set_cursor("desk-0", "a-1", NOW)  # a holds desk-0: its writes go through
    # a stops renewing (SIGSTOP, or cut off from the database); once its lease expired and its
    # heartbeat is stale, b takes everything over, with a new epoch.
    time.sleep(0.8)
    b.leases.round()
    assert b.leases.owned() == CONNECTIONS
    assert b.metric("matrixcore_lease_takeovers_total") == len(CONNECTIONS)
    b.store.set_cursor("desk-0", "b-1", NOW)
    # a wakes up and carries on where it was: every write is rejected, nothing is changed.
    with pytest.raises(FencedWrite, match="no longer holds its lease; it is held by b"):
        a.store.set_cursor("desk-0", "a-2", NOW)
    with pytest.raises(FencedWrite):
        a.store.record_pending(
            LedgerEntry("desk-0", "1", "ack", "acknowledge", "pending", True, "P3", "Hi", NOW)
        )
    with pytest.raises(FencedWrite):  # nor would it send: its lease lapsed on its own clock too
        a.store.check_lease("desk-0")
    assert a.metric("matrixcore_state_fenced_writes_total", connection="desk-0") == 3
    assert b.store.cursor("desk-0") == "b-1"
    assert b.store.messages("desk-0", "1") == []
    a.leases.round()  # renewing, a learns it lost them
    assert a.leases.owned() == []
    assert a.metric("matrixcore_lease_lost_total") == len(CONNECTIONS)


def test_a_write_in_flight_finishes_before_a_takeover_and_none_after(
    postgres_url: str, daemons: list[Daemon]
) -> None:
    a = Daemon(postgres_url, "a", ttl=0.3)
    daemons.append(a)
    a.leases.round()
    with a.store.transaction():
        a.store.set_cursor("desk-1", "a-1", NOW)  # holds the lease row under a share lock
        time.sleep(0.5)  # the lease expires meanwhile
        b = Daemon(postgres_url, "b", ttl=0.3)
        daemons.append(b)
        b.leases.round()  # skips the locked row instead of waiting: claims never block
        assert "desk-1" not in b.leases.owned()
    time.sleep(0.4)
    b.leases.round()
    assert "desk-1" in b.leases.owned()
    assert b.store.cursor("desk-1") == "a-1"  # a's committed write stands, and a writes no more
    with pytest.raises(FencedWrite):
        a.store.set_cursor("desk-1", "a-2", NOW)


def test_the_ledger_is_unique_in_the_database_not_in_a_process(postgres_url: str) -> None:
    entry = LedgerEntry("desk-0", "42", "ack", "acknowledge", "pending", True, "P3", "Hello", NOW)
    with PostgresStateStore(postgres_url) as one, PostgresStateStore(postgres_url) as two:
        assert one.record_pending(entry)
        assert not two.record_pending(entry)  # a second daemon can never record (so send) it again
        assert len(two.messages("desk-0", "42")) == 1


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    with PostgresStateStore(postgres_url) as store:
        store.set_cursor("desk-0", "c1", NOW)
        with store.session() as db:
            db.execute("INSERT INTO matrixcore_schema (version) VALUES (99)")
    with pytest.raises(StateError, match="newer than this matrixcore"):
        PostgresStateStore(postgres_url)


def test_a_read_only_store_writes_nothing(postgres_url: str) -> None:
    PostgresStateStore(postgres_url).close()
    with PostgresStateStore(postgres_url, read_only=True) as store:
        assert store.cursor("desk-0") is None
        with pytest.raises(StateError, match="read-only"):
            store.set_cursor("desk-0", "c", NOW)


def test_an_unreachable_database_is_a_clear_error_without_the_password(postgres_cluster: object) -> None:
    url = "postgresql://matrixcore:s3cret@/nowhere?host=/nonexistent-socket-dir"
    with pytest.raises(StateError) as error:
        PostgresStateStore(url)
    assert "s3cret" not in str(error.value)
    assert "postgresql://matrixcore:***@/nowhere" in str(error.value)


def test_two_daemons_share_the_desks_and_each_says_which_it_owns(
    tmp_path,
    postgres_url: str,
    helpdesks: dict[str, Helpdesk],  # noqa: F811
) -> None:
    made = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        made.append(make_daemon(tmp_path / name, helpdesks, state_url=Secret(postgres_url), lease_ttl=1.0))
    with Running(made[0]), Running(made[1]):
        wait_for(lambda: all(synced(d) for d in helpdesks.values()), timeout=30, what="both desks synced")
        owned = [d.health()[1]["state"]["owned_connections"] for d in made]
        wait_for(
            lambda: [len(d.health()[1]["state"]["owned_connections"]) for d in made] == [1, 1],
            timeout=15,
            what="one desk each",
        )
        owned = [d.health()[1]["state"]["owned_connections"] for d in made]
        assert sorted(owned[0] + owned[1]) == ["alpha", "beta"]
        _, body = made[0].health()
        assert list(body["connections"]) == owned[0]  # answers for its own connections only
        assert body["state"]["store"] == "postgresql"
        assert body["state"]["daemon"] == made[0].id
    for desk in helpdesks.values():
        assert desk.outcome_problems() == []  # every message once, between both daemons
