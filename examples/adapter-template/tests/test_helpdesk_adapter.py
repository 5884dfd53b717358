"""What is particular to the Helpdesk adapter: value maps, auth, rate limits, no duplicate messages."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from matrixcore_helpdesk import SPEC, HelpdeskAdapter
from matrixcore_helpdesk.emulator import HelpdeskEmulator

import matrixcore
from matrixcore import AdapterContext, AdapterError, ConnectionConfig, PriorityChange, Secret
from matrixcore.testing import FakeClock, Fault


@pytest.fixture
def emulator() -> Iterator[HelpdeskEmulator]:
    with HelpdeskEmulator() as server:
        yield server
        assert not server.errors, server.errors


def make(emulator: HelpdeskEmulator, context: AdapterContext, **settings: Any) -> HelpdeskAdapter:
    base: dict[str, Any] = {
        "base_url": emulator.url,
        "auth": {"type": "bearer", "token": Secret(emulator.token)},
    }
    return HelpdeskAdapter(ConnectionConfig("helpdesk-test", "helpdesk", base | settings), context)


def test_values_are_mapped_both_ways(emulator: HelpdeskEmulator, adapter_context: AdapterContext) -> None:
    emulator.add_ticket(priority="urgent", impact="medium")
    adapter = make(
        emulator, adapter_context, priority_map={"P1": "urgent", "P4": "low"}, impact_map={"M": "medium"}
    )
    [batch] = adapter.fetch(None)
    ticket = batch.tickets[0]
    assert (ticket.priority, ticket.impact, ticket.urgency) == ("P1", "M", None)
    adapter.set_priority(ticket, PriorityChange(priority="P4", urgency="high"))
    stored = emulator.tickets[int(ticket.id)]
    assert (stored["priority"], stored["urgency"], stored["impact"]) == ("low", "high", "medium")


def test_a_value_the_helpdesk_refuses_is_a_clear_error(
    emulator: HelpdeskEmulator, adapter_context: AdapterContext
) -> None:
    emulator.add_ticket()
    adapter = make(emulator, adapter_context)
    [batch] = adapter.fetch(None)
    with pytest.raises(AdapterError, match=r"PATCH .*/api/v1/tickets/1 -> 422 .*invalid fields"):
        adapter.set_priority(batch.tickets[0], PriorityChange(priority="P1"))  # no priority_map: "P1" unknown
    assert len(emulator.requests_to("/api/v1/tickets/{id}", "PATCH")) == 1


def test_tickets_carry_requester_and_times(
    emulator: HelpdeskEmulator, adapter_context: AdapterContext
) -> None:
    emulator.add_ticket(
        subject="VPN down",
        channel="chat",
        requester={"name": "Ada", "email": "ada@example.com", "language": "nl"},
    )
    [batch] = make(emulator, adapter_context).fetch(None)
    ticket = batch.tickets[0]
    assert ticket.key == "helpdesk-test:1"
    assert (ticket.subject, ticket.channel, ticket.number) == ("VPN down", "chat", "HD-1001")
    assert (ticket.requester.name, ticket.requester.address, ticket.requester.language) == (
        "Ada",
        "ada@example.com",
        "nl",
    )
    assert ticket.updated is not None
    assert ticket.updated.tzinfo is not None


def test_basic_auth_with_an_agent_login(emulator: HelpdeskEmulator, adapter_context: AdapterContext) -> None:
    login, password = next(iter(emulator.agents.items()))
    adapter = make(
        emulator, adapter_context, auth={"type": "basic", "username": login, "password": Secret(password)}
    )
    adapter.check()
    assert emulator.requests[-1].basic_auth == (login, password)


def test_refused_credentials_are_named_without_the_secret(
    emulator: HelpdeskEmulator, adapter_context: AdapterContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-t0ken-value"
    adapter = make(emulator, adapter_context, auth={"type": "bearer", "token": Secret(wrong, "env:HD_TOKEN")})
    with pytest.raises(AdapterError, match="refused the credentials") as caught:
        adapter.check()
    assert caught.value.status == 401
    assert wrong not in str(caught.value)
    assert wrong not in caplog.text


def test_the_budget_learns_the_rate_limit_and_avoids_429(
    adapter_context: AdapterContext, fake_clock: FakeClock
) -> None:
    with HelpdeskEmulator(rate_limit=3, window=60, clock=fake_clock.monotonic) as emulator:
        for _ in range(10):
            emulator.add_ticket()
        adapter = make(emulator, adapter_context, page_size=2)
        fetched = [t.id for batch in adapter.fetch(None) for t in batch.tickets]
    assert fetched == [str(n) for n in range(1, 11)]
    assert emulator.rate_limited == 0, "the adapter ran into the rate limit instead of waiting for the reset"
    assert any(wait >= 59 for wait in fake_clock.sleeps), fake_clock.sleeps


def test_a_lost_answer_to_a_post_does_not_post_twice(
    emulator: HelpdeskEmulator, adapter_context: AdapterContext
) -> None:
    emulator.add_ticket()
    adapter = make(emulator, adapter_context)
    [batch] = adapter.fetch(None)
    # The helpdesk stores the message, but the answer is cut off: the adapter must retry safely.
    emulator.inject(Fault.truncated(), path="/api/v1/tickets/{id}/messages", method="POST")
    posted = adapter.post_message(batch.tickets[0], "We are on it.", True)
    posts = emulator.requests_to("/api/v1/tickets/{id}/messages", "POST")
    assert len(posts) == 2
    assert posts[0].header("Idempotency-Key") == posts[1].header("Idempotency-Key")
    assert [m["id"] for m in emulator.messages[1]] == [posted.id]


def test_the_plugin_is_registered_under_the_matrixcore_entry_point_group() -> None:
    entry = {e.name: e.value for e in importlib.metadata.entry_points(group="matrixcore")}
    assert entry.get("helpdesk") == "matrixcore_helpdesk.plugin"


def test_the_plugin_hook_returns_the_adapter_spec() -> None:
    if not hasattr(matrixcore, "hookimpl"):
        pytest.skip("this matrixcore has no plugin manager yet (matrixcore.hookimpl)")
    from matrixcore_helpdesk import plugin

    specs = plugin.matrixcore_adapters()
    assert [s.name for s in specs] == ["helpdesk"]
    assert specs[0] is SPEC


def test_the_schema_rejects_a_misspelt_setting() -> None:
    settings = {"base_url": "https://helpdesk.example.com", "auth": {"type": "bearer", "token": {"env": "T"}}}
    validator = Draft202012Validator(SPEC.config_schema)
    assert not list(validator.iter_errors(settings))
    errors = [e.message for e in validator.iter_errors({**settings, "pagesize": 3})]
    assert any("pagesize" in message for message in errors), errors
