"""The contract suite catches broken adapters: each mutant of the example adapter fails its checks.

The example adapter (examples/adapter-template, installed beside matrixcore in CI) passes the whole
suite in its own tests; here deliberately broken subclasses of it must fail exactly the checks
that guard the promise they break, with a message that says what went wrong.
"""

from __future__ import annotations

import textwrap

import pytest

pytest.importorskip(
    "matrixcore_helpdesk", reason="needs the example adapter: pip install -e examples/adapter-template"
)

pytest_plugins = ["pytester"]

SUITE = textwrap.dedent(
    '''
    import dataclasses
    import pytest
    from matrixcore import Batch, PriorityChange, RetryPolicy
    from matrixcore.testing import AdapterContractSuite
    from matrixcore_helpdesk import SPEC, HelpdeskAdapter
    from matrixcore_helpdesk.emulator import HelpdeskEmulator


    class BackwardsCursor(HelpdeskAdapter):
        """Every batch carries the cursor from before the whole fetch."""
        def fetch(self, cursor):
            start = HelpdeskEmulator.cursor_for("")
            for batch in super().fetch(cursor):
                yield Batch(batch.tickets, start)


    class WritesInDryRun(HelpdeskAdapter):
        """Writes with the raw session, around the client's read-only guard."""
        def set_priority(self, ticket, change):
            self.http.session.patch(self.http.url(f"api/v1/tickets/{ticket.id}"), json={"priority": "high"})


    class IgnoresContextRetry(HelpdeskAdapter):
        """Builds its own policy: no retries at all."""
        def __init__(self, config, context):
            super().__init__(config, dataclasses.replace(context, retry=RetryPolicy(max_attempts=1)))


    class HidesInternalNotes(HelpdeskAdapter):
        def list_messages(self, ticket):
            return [m for m in super().list_messages(ticket) if m.visible_to_requester]


    class RetriesClientErrors(HelpdeskAdapter):
        """Treats every error as worth retrying."""
        def fetch(self, cursor):
            from matrixcore import AdapterError
            for attempt in range(3):
                try:
                    yield from super().fetch(cursor)
                    return
                except AdapterError:
                    if attempt == 2:
                        raise


    class DropsIdempotencyKey(HelpdeskAdapter):
        """Posts without the Idempotency-Key header but still tells the client the post may be retried."""
        def post_message(self, ticket, text, visible_to_requester):
            response = self.http.post(
                f"api/v1/tickets/{ticket.id}/messages",
                json={"body": text, "public": visible_to_requester},
                idempotent=True,
            )
            return self._message(self.http.json(response)["message"])


    PRIORITY_MAP = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


    class TestMutant(AdapterContractSuite[HelpdeskEmulator]):
        adapter_spec = dataclasses.replace(SPEC, factory=MUTANT)
        priority_change = PriorityChange(impact="high", urgency="high", priority="P1")

        @pytest.fixture
        def server(self):
            with HelpdeskEmulator() as emulator:
                yield emulator

        def connection_settings(self, server):
            return {"base_url": server.url, "page_size": 3, "priority_map": PRIORITY_MAP,
                    "auth": {"type": "bearer", "token": {"env": "HD_TOKEN"}}}

        def environment(self, server):
            return {"HD_TOKEN": server.token}

        def seed_tickets(self, server, count):
            return [str(server.add_ticket()["id"]) for _ in range(count)]

        def update_ticket(self, server, ticket_id):
            server.update_ticket(int(ticket_id), status="pending")

        def written_priority(self, server, ticket_id):
            t = server.tickets[int(ticket_id)]
            back = {v: k for k, v in PRIORITY_MAP.items()}
            return PriorityChange(t["impact"], t["urgency"], back.get(t["priority"]))
    '''
)


def run_suite(pytester: pytest.Pytester, mutant: str, *tests: str) -> pytest.RunResult:
    pytester.makepyfile(test_mutant=SUITE.replace("MUTANT)", f"{mutant})"))
    selection = " or ".join(tests)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rs", "-k", selection)


def failed_tests(result: pytest.RunResult) -> set[str]:
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    return {r.nodeid.rsplit("::", 1)[-1] for r in reports if r.failed}


def test_the_unbroken_adapter_passes(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "HelpdeskAdapter", "test_")
    result.assert_outcomes(passed=18, skipped=1)
    assert "break_credentials() returns None: define it" in result.stdout.str()


def test_a_cursor_that_moves_backwards_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        "BackwardsCursor",
        "test_resume_returns_nothing_older",
        "test_future_cursor_returns_nothing",
        "test_fetched_tickets_are_valid",
    )
    assert failed_tests(result) == {"test_resume_returns_nothing_older", "test_future_cursor_returns_nothing"}
    assert "resuming after batch 2 returned older tickets ['1', '2', '3']" in result.stdout.str()


def test_a_write_in_dry_run_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "WritesInDryRun", "test_dry_run_sends_no_writes", "test_check_passes")
    assert failed_tests(result) == {"test_dry_run_sends_no_writes"}
    assert "DID NOT RAISE" in result.stdout.str()


def test_an_adapter_that_does_not_retry_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester,
        "IgnoresContextRetry",
        "test_429_is_retried_honouring_retry_after",
        "test_5xx_is_retried",
        "test_gives_up_with_clear_error",
        "test_posted_message_shows_up",
    )
    assert failed_tests(result) == {
        "test_429_is_retried_honouring_retry_after",
        "test_5xx_is_retried",
        "test_gives_up_with_clear_error",
    }
    assert "expected 3 attempts, the server saw 1" in result.stdout.str()


def test_messages_missing_from_list_messages_are_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "HidesInternalNotes", "test_posted_message_shows_up")
    assert failed_tests(result) == {"test_posted_message_shows_up"}
    assert "posted message 'm2' is not in list_messages" in result.stdout.str()


def test_retrying_a_client_error_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(
        pytester, "RetriesClientErrors", "test_client_error_fails_at_once", "test_5xx_is_retried"
    )
    assert failed_tests(result) == {"test_client_error_fails_at_once"}
    assert "a 403 was retried: the server saw 3 requests" in result.stdout.str()


def test_a_dropped_idempotency_key_is_caught(pytester: pytest.Pytester) -> None:
    """Issue 18 item 6: the tool applies the post and the answer is lost; the retry must not post twice."""
    result = run_suite(
        pytester,
        "DropsIdempotencyKey",
        "test_a_lost_answer_never_posts_twice",
        "test_posted_message_shows_up",
    )
    assert failed_tests(result) == {"test_a_lost_answer_never_posts_twice"}
    assert "shows the message 2 times" in result.stdout.str()
