"""``AdapterContractSuite``: the checks every matrixcore adapter must pass, as a pytest class to subclass.

Point it at your adapter and at an emulator of your tool's API (a ``LocalServer`` subclass)::

    class TestMyToolContract(AdapterContractSuite[MyToolEmulator]):
        adapter_spec = MY_TOOL_SPEC

        @pytest.fixture
        def server(self):
            with MyToolEmulator() as emulator:
                yield emulator

        def connection_settings(self, server):
            return {"base_url": server.url, "page_size": 3,
                    "auth": {"type": "bearer", "token": {"env": "MY_TOKEN"}}}

        def environment(self, server):
            return {"MY_TOKEN": server.token}

        def seed_tickets(self, server, count): ...
        def update_ticket(self, server, ticket_id): ...
        def written_priority(self, server, ticket_id): ...

Every ``test_*`` method is one promise matrixcore relies on (the architecture's invariants: dry-run
writes nothing, no message twice, no lost progress). The suite builds the adapter through
``adapter_spec.factory`` from settings that pass the real config loader, with a ``FakeClock`` retry
policy in ``AdapterContext.retry``: retries cost no time, and their waits are checked.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pytest
import requests
from jsonschema import Draft202012Validator, SchemaError

from matrixcore._adapter import (
    Adapter,
    AdapterContext,
    AdapterError,
    AdapterSpec,
    Batch,
    CombinedWriter,
    OutgoingMessage,
    PostedMessage,
    PriorityChange,
    ReadOnlyError,
)
from matrixcore._config import ConnectionConfig, parse_config
from matrixcore._errors import ConfigError
from matrixcore._ticket import Ticket

from .clock import FakeClock
from .server import Fault, LocalServer, compile_route

__all__ = ["AdapterContractSuite"]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """Text as a person reads it: tags dropped, whitespace collapsed (tools store HTML or Markdown)."""
    return " ".join(_TAG.sub(" ", text).split())


#: The author's emulator: a ``LocalServer`` subclass that also holds the tool's state.
ServerT = TypeVar("ServerT", bound=LocalServer)


class AdapterContractSuite(Generic[ServerT]):
    """Subclass as ``Test…(AdapterContractSuite[MyEmulator])``; set ``adapter_spec``, implement the hooks.

    ``server`` is your emulator: a ``LocalServer`` subclass (or a plain one with your routes), so the
    suite can script faults into it and read its request log, and your hooks can reach its state.
    """

    # -- what the author sets ------------------------------------------------------------------------

    #: The adapter under test, as your plugin's ``matrixcore_adapters`` hook returns it.
    adapter_spec: ClassVar[AdapterSpec]
    #: The connection name the suite configures (and expects in nothing but ``adapter.name``).
    connection_name: ClassVar[str] = "contract"
    #: How many tickets the fetch checks seed; with your page size this must make several batches.
    seed_count: ClassVar[int] = 7
    #: A change your adapter can write, in matrix level and priority names your settings map.
    priority_change: ClassVar[PriorityChange] = PriorityChange(impact="high", urgency="high", priority="P1")
    #: Attempts the retry policy the suite installs allows (first try included).
    max_attempts: ClassVar[int] = 3
    #: Route patterns whose non-GET requests are not writes (an OAuth2 token endpoint).
    auth_paths: ClassVar[tuple[str, ...]] = ()
    #: Non-GET methods your adapter uses only to read (a search sent as POST): the lost-answer check
    #: leaves them alone.
    read_only_methods: ClassVar[tuple[str, ...]] = ()

    # -- hooks the author implements -----------------------------------------------------------------

    @pytest.fixture
    def server(self) -> ServerT:
        """Your emulator's running ``LocalServer``; override this fixture."""
        raise NotImplementedError(
            f"{type(self).__name__} must define a `server` fixture yielding the emulator's LocalServer"
        )

    def connection_settings(self, server: ServerT) -> Mapping[str, Any]:
        """The connection's settings as a config file holds them (secrets as ``{env: NAME}``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement connection_settings(server)")

    def environment(self, server: ServerT) -> Mapping[str, str]:
        """Environment variables the settings' secrets refer to."""
        return {}

    def seed_tickets(self, server: ServerT, count: int) -> Sequence[str]:
        """Create ``count`` tickets in the emulator, oldest first; return their ids (adapter's view)."""
        raise NotImplementedError(f"{type(self).__name__} must implement seed_tickets(server, count)")

    def update_ticket(self, server: ServerT, ticket_id: str) -> None:
        """Change a ticket in the emulator the way an agent would, so the tool reports it as changed."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_ticket(server, ticket_id)")

    def written_priority(self, server: ServerT, ticket_id: str) -> PriorityChange:
        """What the emulator now holds for the ticket, in matrix names (to inspect ``set_priority``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement written_priority(server, ticket_id)")

    def future_cursor(self, server: ServerT) -> str | None:
        """A cursor from after every ticket (a watermark tomorrow); ``None``: use the last batch's cursor."""
        return None

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """``settings`` with credentials the server refuses; ``None`` skips the bad-credentials check."""
        return None

    # -- fixtures ------------------------------------------------------------------------------------

    @pytest.fixture
    def contract_clock(self) -> FakeClock:
        """The clock retries and the request budget sleep on: waits are recorded, not spent."""
        return FakeClock()

    @pytest.fixture
    def make_adapter(
        self, server: ServerT, contract_clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> Iterator[Callable[..., Adapter]]:
        """``make_adapter(read_only=False, settings=None)``: a new adapter, closed after the test."""
        made: list[tuple[Adapter, requests.Session]] = []
        for name, value in self.environment(server).items():
            monkeypatch.setenv(name, value)

        def make(*, read_only: bool = False, settings: Mapping[str, Any] | None = None) -> Adapter:
            config = self._connection(server, tmp_path, settings)
            session = requests.Session()
            context = AdapterContext(
                read_only=read_only,
                session=session,
                logger=logging.getLogger(f"matrixcore.adapter.{self.connection_name}"),
                user_agent="matrixcore-contract-suite",
                retry=contract_clock.retry_policy(max_attempts=self.max_attempts),
            )
            adapter = self.adapter_spec.factory(config, context)
            missing = [
                m
                for m in ("check", "fetch", "set_priority", "post_message", "list_messages", "close")
                if not callable(getattr(adapter, m, None))
            ]
            assert not missing, f"the factory returned {adapter!r}, which lacks {', '.join(missing)}"
            assert isinstance(adapter, Adapter), f"the factory returned {adapter!r}, which has no `name`"
            made.append((adapter, session))
            return adapter

        yield make
        for adapter, session in made:
            adapter.close()
            session.close()

    @pytest.fixture
    def adapter(self, make_adapter: Callable[..., Adapter]) -> Adapter:
        return make_adapter()

    def _connection(
        self, server: ServerT, tmp_path: Path, settings: Mapping[str, Any] | None = None
    ) -> ConnectionConfig:
        """Settings through the real config loader: schema-validated, secrets resolved."""
        raw = dict(settings if settings is not None else self.connection_settings(server))
        document = {
            "rules": "rules.yaml",
            "connections": {self.connection_name: {"adapter": self.adapter_spec.name, **raw}},
        }
        try:
            config = parse_config(
                json.dumps(document),
                str(tmp_path / "matrixcore.yaml"),
                {self.adapter_spec.name: self.adapter_spec.config_schema},
            )
        except ConfigError as exc:
            pytest.fail(f"connection_settings() do not pass the config loader:\n{exc}")
        return config.connections[self.connection_name]

    # -- helpers -------------------------------------------------------------------------------------

    def _fetch(self, adapter: Adapter, cursor: str | None) -> list[Batch]:
        limit = 2 * self.seed_count + 10
        batches: list[Batch] = []
        for batch in adapter.fetch(cursor):
            assert isinstance(batch, Batch), f"fetch() yielded {batch!r}, not a Batch"
            batches.append(batch)
            assert len(batches) <= limit, (
                f"fetch({cursor!r}) yielded more than {limit} batches: a cursor loop?"
            )
        return batches

    @staticmethod
    def _ids(batches: Sequence[Batch]) -> list[str]:
        return [t.id for b in batches for t in b.tickets]

    def _seed_and_fetch(self, server: ServerT, adapter: Adapter) -> tuple[list[str], list[Batch]]:
        seeded = [str(i) for i in self.seed_tickets(server, self.seed_count)]
        batches = self._fetch(adapter, None)
        assert len(batches) >= 2, (
            f"{self.seed_count} tickets came in {len(batches)} batch(es); set a page size below "
            f"{self.seed_count} in connection_settings() so the suite can check resuming between batches"
        )
        return seeded, batches

    def _first_ticket(self, server: ServerT, adapter: Adapter) -> Ticket:
        self.seed_tickets(server, 2)
        batches = self._fetch(adapter, None)
        assert batches, "fetch(None) returned no batches after seeding 2 tickets"
        assert batches[0].tickets, "fetch(None) returned an empty first batch"
        return batches[0].tickets[0]

    # -- the contract --------------------------------------------------------------------------------

    def test_config_schema_is_valid(
        self, server: ServerT, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """The published settings schema is valid Draft 2020-12 and accepts the suite's settings."""
        schema = self.adapter_spec.config_schema
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            pytest.fail(f"{self.adapter_spec.name}: config_schema is not a valid JSON Schema: {exc.message}")
        assert schema.get("type") == "object", "config_schema must describe an object (the settings)"
        for name, value in self.environment(server).items():
            monkeypatch.setenv(name, value)
        self._connection(server, tmp_path)

    def test_check_passes(self, adapter: Adapter) -> None:
        """``check()`` succeeds against a healthy server with good credentials."""
        try:
            adapter.check()
        except AdapterError as exc:
            pytest.fail(f"check() failed against a healthy emulator: {exc}")

    def test_check_reports_bad_credentials(
        self, server: ServerT, make_adapter: Callable[..., Adapter]
    ) -> None:
        """``check()`` raises ``AdapterError`` when the server refuses the credentials."""
        broken = self.break_credentials(self.connection_settings(server))
        if broken is None:
            pytest.skip(
                "break_credentials() returns None: define it to check how bad credentials are reported"
            )
        adapter = make_adapter(settings=broken)
        with pytest.raises(AdapterError) as caught:
            adapter.check()
        assert str(caught.value), "check() raised an AdapterError without a message"

    def test_fetched_tickets_are_valid(self, server: ServerT, adapter: Adapter) -> None:
        """Every seeded ticket arrives as a valid ``Ticket``, oldest first, each batch with a cursor."""
        seeded, batches = self._seed_and_fetch(server, adapter)
        tickets = [t for b in batches for t in b.tickets]
        for batch in batches:
            assert isinstance(batch.cursor, str), f"batch cursor {batch.cursor!r} is not a string"
            assert batch.cursor, "a batch has an empty cursor"
        for ticket in tickets:
            assert isinstance(ticket, Ticket), f"fetch() yielded {ticket!r}, not a Ticket"
            assert ticket.id, f"ticket without an id: {ticket!r}"
            assert ticket.source, f"ticket {ticket.id} has no source"
            assert ticket.created.tzinfo is not None, f"ticket {ticket.id}: created is naive"
        ids = [t.id for t in tickets]
        assert sorted(set(ids)) == sorted(set(seeded)), (
            f"fetched ids {ids} differ from the seeded ids {seeded}"
        )
        assert len({t.source for t in tickets}) == 1, "tickets of one connection carry different sources"
        moments = [t.updated or t.created for t in tickets]
        assert moments == sorted(moments), f"tickets are not oldest first: {[m.isoformat() for m in moments]}"

    def test_cursors_only_move_forward(self, server: ServerT, adapter: Adapter) -> None:
        """Resuming from a later batch's cursor never returns more than resuming from an earlier one."""
        _, batches = self._seed_and_fetch(server, adapter)
        resumed = [set(self._ids(self._fetch(adapter, b.cursor))) for b in batches]
        for earlier in range(len(batches)):
            for later in range(earlier + 1, len(batches)):
                extra = resumed[later] - resumed[earlier]
                assert not extra, (
                    f"the cursor of batch {later + 1} returned {sorted(extra)}, which the cursor of the "
                    f"earlier batch {earlier + 1} did not: the cursor moved backwards"
                )

    def test_resume_returns_nothing_older(self, server: ServerT, adapter: Adapter) -> None:
        """Resuming from batch k's cursor skips no later ticket and returns no ticket from before batch k."""
        _, batches = self._seed_and_fetch(server, adapter)
        for k, batch in enumerate(batches):
            got = set(self._ids(self._fetch(adapter, batch.cursor)))
            older = set(self._ids(batches[:k]))
            later = set(self._ids(batches[k + 1 :]))
            assert not got & older, (
                f"resuming after batch {k + 1} returned older tickets {sorted(got & older)}"
            )
            assert later <= got, f"resuming after batch {k + 1} skipped tickets {sorted(later - got)}"

    def test_changed_ticket_is_fetched_again(self, server: ServerT, adapter: Adapter) -> None:
        """A ticket changed after the last fetch comes again when resuming from the last cursor."""
        _, batches = self._seed_and_fetch(server, adapter)
        first = batches[0].tickets[0].id
        self.update_ticket(server, first)
        again = self._ids(self._fetch(adapter, batches[-1].cursor))
        assert first in again, (
            f"ticket {first} changed, but resuming from the last cursor returned only {again}"
        )

    def test_future_cursor_returns_nothing(self, server: ServerT, adapter: Adapter) -> None:
        """A cursor from after every ticket returns nothing (without the hook: only the last batch again)."""
        _, batches = self._seed_and_fetch(server, adapter)
        future = self.future_cursor(server)
        if future is not None:
            got = self._ids(self._fetch(adapter, future))
            assert not got, f"fetch(future cursor {future!r}) returned {got}"
        else:
            got = self._ids(self._fetch(adapter, batches[-1].cursor))
            stale = set(got) - set(self._ids(batches[-1:]))
            assert not stale, (
                f"resuming from the last cursor returned unchanged older tickets {sorted(stale)}"
            )

    def test_dry_run_sends_no_writes(self, server: ServerT, make_adapter: Callable[..., Adapter]) -> None:
        """A read-only adapter reads, refuses every write with ``ReadOnlyError`` and sends no non-GET."""
        self.seed_tickets(server, 2)
        before = len(server.requests)
        adapter = make_adapter(read_only=True)
        adapter.check()
        batches = self._fetch(adapter, None)
        ticket = batches[0].tickets[0]
        adapter.list_messages(ticket)
        with pytest.raises(ReadOnlyError):
            adapter.set_priority(ticket, self.priority_change)
        with pytest.raises(ReadOnlyError):
            adapter.post_message(ticket, "dry run: must not be sent", True)
        auth = [compile_route(p) for p in self.auth_paths]
        writes = [
            f"{r.method} {r.path}"
            for r in server.requests[before:]
            if r.method not in _SAFE and not any(p.fullmatch(r.path) for p in auth)
        ]
        assert not writes, f"a read-only adapter sent {writes}"

    def test_set_priority_is_idempotent(self, server: ServerT, adapter: Adapter) -> None:
        """Writing the same change twice leaves the same values and raises nothing."""
        ticket = self._first_ticket(server, adapter)
        expected = self.priority_change
        for attempt in ("first", "second"):
            adapter.set_priority(ticket, expected)
            written = self.written_priority(server, ticket.id)
            for name in ("impact", "urgency", "priority"):
                want = getattr(expected, name)
                if want is not None:
                    assert getattr(written, name) == want, (
                        f"after the {attempt} set_priority({expected}), the tool holds {name}="
                        f"{getattr(written, name)!r}"
                    )

    def test_429_is_retried_honouring_retry_after(
        self, server: ServerT, adapter: Adapter, contract_clock: FakeClock
    ) -> None:
        """Two 429s with ``Retry-After: 2`` are waited out (2 s each, on the fake clock), then success."""
        seeded = self.seed_tickets(server, 2)
        rule = server.inject(Fault.too_many_requests(retry_after=2), times=2)
        got = self._ids(self._fetch(adapter, None))
        assert rule.used == 2, f"the scripted 429s were not all requested (used {rule.used} of 2)"
        assert set(map(str, seeded)) <= set(got), f"after two 429s the fetch returned {got}, not {seeded}"
        honoured = [s for s in contract_clock.sleeps if s >= 2.0]
        assert len(honoured) >= 2, (
            f"Retry-After: 2 was not honoured; the adapter waited {contract_clock.sleeps} "
            "(adapters must sleep through AdapterContext.retry)"
        )

    def test_5xx_is_retried(self, server: ServerT, adapter: Adapter) -> None:
        """A 503 and a 500 in a row are retried and the fetch succeeds."""
        seeded = self.seed_tickets(server, 2)
        server.inject(Fault.server_error(503), times=1)
        server.inject(Fault.server_error(500), times=1)
        got = self._ids(self._fetch(adapter, None))
        assert set(map(str, seeded)) <= set(got), f"after a 503 and a 500 the fetch returned {got}"
        assert len([r for r in server.requests if r.fault]) == 2, (
            "the scripted 5xx answers were not requested"
        )

    def test_gives_up_with_clear_error(self, server: ServerT, adapter: Adapter) -> None:
        """A server that keeps answering 500 gets ``max_attempts`` tries, then a clear ``AdapterError``."""
        self.seed_tickets(server, 2)
        server.inject(Fault.server_error(500), times=None)
        with pytest.raises(AdapterError) as caught:
            self._fetch(adapter, None)
        tries = len([r for r in server.requests if r.fault])
        assert tries == self.max_attempts, f"expected {self.max_attempts} attempts, the server saw {tries}"
        assert "500" in str(caught.value), f"the error does not name the status: {caught.value}"

    def test_client_error_fails_at_once(self, server: ServerT, adapter: Adapter) -> None:
        """A 4xx other than 429 is not retried: one request, an ``AdapterError`` naming the status."""
        self.seed_tickets(server, 2)
        server.inject(Fault.status_code(403, {"error": "forbidden by contract suite"}), times=None)
        with pytest.raises(AdapterError) as caught:
            self._fetch(adapter, None)
        tries = len([r for r in server.requests if r.fault])
        assert tries == 1, f"a 403 was retried: the server saw {tries} requests"
        assert "403" in str(caught.value), f"the error does not name the status: {caught.value}"

    def test_posted_message_shows_up(self, server: ServerT, adapter: Adapter) -> None:
        """A reply and an internal note come back from ``list_messages`` with their text and visibility."""
        ticket = self._first_ticket(server, adapter)
        texts = {
            True: "Contract suite: we will pick this up by 14:00.",
            False: "Contract suite: internal note.",
        }
        reply = adapter.post_message(ticket, texts[True], True)
        note = adapter.post_message(ticket, texts[False], False)
        listed = {m.id: m for m in adapter.list_messages(ticket)}
        for posted, visible in ((reply, True), (note, False)):
            assert posted.id in listed, (
                f"posted message {posted.id!r} is not in list_messages: {sorted(listed)}"
            )
            shown = listed[posted.id]
            assert _plain(texts[visible]) in _plain(shown.text), (
                f"message {posted.id!r} lists as {shown.text!r}, posted as {texts[visible]!r}"
            )
            assert shown.visible_to_requester is visible, f"message {posted.id!r} has the wrong visibility"
        order = list(listed)
        assert order.index(reply.id) < order.index(note.id), "list_messages is not oldest first"

    def test_a_lost_answer_never_posts_twice(self, server: ServerT, adapter: Adapter) -> None:
        """The tool posts the message, then the answer is lost (a reset): whatever the adapter does
        next (raise, or retry with an idempotency key the tool honours), the ticket shows it once.

        An adapter that marks its post ``idempotent`` without sending a key the tool honours
        retries it here, and the requester gets the message twice.
        """
        ticket = self._first_ticket(server, adapter)
        text = "Contract suite: the answer to this post is lost."
        before = [m for m in adapter.list_messages(ticket) if _plain(text) in _plain(m.text)]
        writes = [m for m in ("POST", "PUT", "PATCH") if m not in self.read_only_methods]
        rules = [server.inject(Fault.lost_answer(), method=m, times=1) for m in writes]
        try:
            adapter.post_message(ticket, text, True)
        except AdapterError:
            pass  # not knowing whether it went out is allowed: the sync reconciles the ledger
        finally:
            server.clear_faults()
        assert any(r.used for r in rules), (
            "post_message sent no POST, PUT or PATCH: the suite could not lose its answer"
        )
        after = [m for m in adapter.list_messages(ticket) if _plain(text) in _plain(m.text)]
        assert len(after) - len(before) == 1, (
            f"the tool applied the post and its answer was lost; afterwards the ticket shows the "
            f"message {len(after) - len(before)} times: a post marked idempotent must carry an "
            "idempotency key the tool honours, or it must not be retried"
        )

    def _combined(self, adapter: Adapter) -> Callable[..., PostedMessage]:
        combine = getattr(adapter, "apply_update", None)
        if not callable(combine):
            pytest.skip("the adapter has no apply_update (CombinedWriter): priority and message go apart")
        assert isinstance(adapter, CombinedWriter)
        return combine  # type: ignore[no-any-return]

    def _writes(self, server: ServerT, since: int) -> list[str]:
        auth = [compile_route(p) for p in self.auth_paths]
        return [
            f"{r.method} {r.path}"
            for r in server.requests[since:]
            if r.method not in _SAFE and not any(p.fullmatch(r.path) for p in auth)
        ]

    def test_combined_update_is_one_request(
        self, server: ServerT, adapter: Adapter, make_adapter: Callable[..., Adapter]
    ) -> None:
        """``apply_update`` writes the change and posts the message in one write request; a
        read-only adapter refuses it without sending anything."""
        combine = self._combined(adapter)
        ticket = self._first_ticket(server, adapter)
        text = "Contract suite: priority and acknowledgement in one request."
        before = len(server.requests)
        posted = combine(ticket, self.priority_change, OutgoingMessage(text, True))
        writes = self._writes(server, before)
        assert len(writes) == 1, f"apply_update sent {len(writes)} write requests: {writes}"
        written = self.written_priority(server, ticket.id)
        for name in ("impact", "urgency", "priority"):
            want = getattr(self.priority_change, name)
            if want is not None:
                held = getattr(written, name)
                assert held == want, (
                    f"after apply_update({self.priority_change}), the tool holds {name}={held!r}"
                )
        listed = {m.id: m for m in adapter.list_messages(ticket)}
        assert posted.id in listed, f"the combined message {posted.id!r} is not in list_messages"
        assert _plain(text) in _plain(listed[posted.id].text)
        assert listed[posted.id].visible_to_requester is True
        dry = make_adapter(read_only=True)
        before = len(server.requests)
        with pytest.raises(ReadOnlyError):
            self._combined(dry)(ticket, self.priority_change, OutgoingMessage("dry run: never sent", True))
        assert self._writes(server, before) == [], "a read-only adapter sent a combined update"

    def test_combined_update_with_a_lost_answer_posts_once(self, server: ServerT, adapter: Adapter) -> None:
        """The tool applies the combined update and the answer is lost: the message shows once."""
        combine = self._combined(adapter)
        ticket = self._first_ticket(server, adapter)
        text = "Contract suite: the answer to this combined update is lost."
        writes = [m for m in ("POST", "PUT", "PATCH") if m not in self.read_only_methods]
        rules = [server.inject(Fault.lost_answer(), method=m, times=1) for m in writes]
        try:
            combine(ticket, self.priority_change, OutgoingMessage(text, True))
        except AdapterError:
            pass  # the sync keeps the message pending and reconciles it
        finally:
            server.clear_faults()
        assert any(r.used for r in rules), "apply_update sent no POST, PUT or PATCH"
        shown = [m for m in adapter.list_messages(ticket) if _plain(text) in _plain(m.text)]
        assert len(shown) == 1, f"after a lost answer the ticket shows the message {len(shown)} times"

    def test_close_is_safe_twice(self, adapter: Adapter) -> None:
        """``close()`` may be called more than once (shutdown paths overlap)."""
        adapter.close()
        adapter.close()
