"""The ServiceNow adapter over real HTTP against the emulator: auth flows, writes that ServiceNow
may ignore, the journal, rate limits, faults, deleted tickets, other tables, secrets in logs, and
every request checked against the Table API descriptions real instances export."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from matrixcore import AdapterContext, AdapterError, PriorityChange, RetryPolicy, Ticket
from matrixcore._config import parse_config
from matrixcore.testing import FakeClock, Fault
from matrixcore_servicenow import SPEC, ServiceNowAdapter, Settings, Watermark, to_ticket
from matrixcore_servicenow.testing import ServiceNowEmulator, TableApiDescription

from servicenow_support import research_file, research_json

Make = Callable[..., ServiceNowAdapter]
BASIC = {"type": "basic", "username": "integration", "password": {"env": "SN_PASSWORD"}}
OAUTH = {
    "type": "oauth",
    "grant": "password",
    "client_id": "matrixcore",
    "client_secret": {"env": "SN_CLIENT_SECRET"},
    "username": "integration",
    "password": {"env": "SN_PASSWORD"},
}


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(
    server: ServiceNowEmulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Make]:
    monkeypatch.setenv("SN_PASSWORD", "integration")
    monkeypatch.setenv("SN_CLIENT_SECRET", "matrixcore-secret")
    made: list[ServiceNowAdapter] = []

    def build(
        read_only: bool = False, retry: RetryPolicy | None = None, **settings: Any
    ) -> ServiceNowAdapter:
        raw = {"base_url": server.url, "auth": BASIC, "page_size": 3, **settings}
        document = {"rules": "rules.yaml", "connections": {"sn": {"adapter": "servicenow", **raw}}}
        config = parse_config(json.dumps(document), "matrixcore.yaml", {"servicenow": SPEC.config_schema})
        context = AdapterContext(
            read_only=read_only,
            session=requests.Session(),
            logger=logging.getLogger("matrixcore.adapter.sn"),
            retry=retry or fake_clock.retry_policy(max_attempts=3),
        )
        adapter = SPEC.factory(config.connections["sn"], context)
        assert isinstance(adapter, ServiceNowAdapter)
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        adapter.close()


def seed(server: ServiceNowEmulator, count: int = 1, table: str = "incident", **values: Any) -> list[str]:
    with server.past(2):
        return [
            server.instance.insert(table, {"short_description": f"T{n}", **values})["sys_id"]
            for n in range(count)
        ]


def fetch_all(adapter: ServiceNowAdapter, cursor: str | None = None) -> list[Ticket]:
    return [t for batch in adapter.fetch(cursor) for t in batch.tickets]


def clear_of_the_hour(margin: int = 30) -> datetime:
    """Now, at least ``margin`` seconds before the top of the hour: rate-limit rules count per
    clock hour, and a test of one must not see its hour end half-way."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second)
    if left < margin:
        time.sleep(left + 1)
        now = datetime.now(UTC)
    return now


def grants(server: ServiceNowEmulator) -> list[str]:
    return [r.form["grant_type"] for r in server.requests_to("/oauth_token.do")]


def test_installed_as_a_matrixcore_plugin() -> None:
    from matrixcore._plugins import Plugins

    plugins = Plugins.load()
    assert plugins.adapters()["servicenow"] is SPEC
    assert "matrixcore-itsm-servicenow" in plugins.owner("adapter", "servicenow")


class TestAuth:
    def test_oauth_password_grant_then_refresh_then_password_again(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        seed(server, 2)
        adapter = make(auth=OAUTH)
        adapter.check()
        assert len(fetch_all(adapter)) == 2
        assert grants(server) == ["password"]  # one token for all requests
        server.instance.expire_tokens()
        assert len(fetch_all(adapter)) == 2
        assert grants(server) == ["password", "refresh_token"]  # the 401 renews it, without the password
        server.instance.tokens.clear()  # refresh token revoked too
        adapter.check()
        assert grants(server) == ["password", "refresh_token", "refresh_token", "password"]

    def test_client_credentials(self, server: ServiceNowEmulator, make: Make) -> None:
        seed(server)
        auth = {
            "type": "oauth",
            "grant": "client_credentials",
            "client_id": "matrixcore",
            "client_secret": {"env": "SN_CLIENT_SECRET"},
        }
        adapter = make(auth=auth)
        ticket = fetch_all(adapter)[0]
        adapter.post_message(ticket, "Hello", True)
        assert grants(server) == ["client_credentials"]
        assert server.instance.journal("incident", ticket.id)[0]["sys_created_by"] == "integration"

    def test_a_busy_token_endpoint_is_waited_out_and_a_broken_one_explained(
        self, server: ServiceNowEmulator, make: Make, fake_clock: FakeClock
    ) -> None:
        seed(server)
        server.inject(Fault.too_many_requests(retry_after=4), path="/oauth_token.do", times=1)
        assert len(fetch_all(make(auth=OAUTH))) == 1
        assert 4.0 in fake_clock.sleeps
        assert grants(server) == ["password", "password"]
        server.inject(Fault.status_code(200, {"error": "not a token"}), path="/oauth_token.do")
        with pytest.raises(AdapterError, match="the answer has no access_token"):
            make(auth=OAUTH).check()

    def test_bad_credentials_are_explained(self, make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SN_PASSWORD", "wrong")
        with pytest.raises(AdapterError, match="401") as caught:
            make().check()
        assert "refused the credentials" in str(caught.value)
        assert caught.value.retryable is False

    def test_no_secret_reaches_a_log_or_an_error(
        self,
        server: ServiceNowEmulator,
        make: Make,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        seed(server)
        adapter = make(auth=OAUTH)
        ticket = fetch_all(adapter)[0]
        adapter.post_message(ticket, "hi", False)
        server.inject(Fault.status_code(500, {"error": "boom"}), times=None)
        with pytest.raises(AdapterError) as caught:
            fetch_all(adapter)
        token = next(t.value for t in server.instance.tokens.values() if not t.refresh)
        text = caplog.text + str(caught.value) + repr(adapter)
        for secret in ("integration:integration", "matrixcore-secret", token):
            assert secret not in text


def test_check_reads_one_row_of_each_without_counting_the_table(
    server: ServiceNowEmulator, make: Make
) -> None:
    make().check()
    probes = [r for r in server.requests if r.path.startswith("/api/now/table/")]
    assert [r.path for r in probes] == ["/api/now/table/incident", "/api/now/table/sys_journal_field"]
    assert all((r.arg("sysparm_limit"), r.arg("sysparm_no_count")) == ("1", "true") for r in probes)


@pytest.mark.parametrize(
    "date",
    [
        {"Date": "Mon, 07 Dec 2026 17:00:00"},  # no zone
        {"Date": "Mon, 07 Dec 2026 17:00:00 -0000"},  # "-0000": a time of unknown zone
        {"Date": "Mon, 07 Dec 2026 17:00:00 GMT", "date": "Mon, 07 Dec 2026 17:00:01 GMT"},  # twice
        {"Date": "yesterday"},
    ],
    ids=["no-zone", "minus-0000", "twice", "garbage"],
)
def test_check_survives_odd_date_headers(
    server: ServiceNowEmulator, make: Make, date: dict[str, str]
) -> None:
    """Issue 13 item 9: a proxy's odd ``Date`` made check() crash with a TypeError (a naive time
    subtracted from an aware one); the clock offset is learned from what can be read, else not at all."""
    server.inject(Fault.status_code(200, {"result": []}, headers=date), path="/api/now/table/{table}")
    adapter = make()
    adapter.check()
    offset = adapter._server_now() - datetime.now(UTC)
    assert abs(offset) < timedelta(days=400)  # a zoneless date is read as GMT, garbage ignored


def test_the_real_recorded_incident_reads_alike_over_http(
    server: ServiceNowEmulator, make: Make, settings: Settings
) -> None:
    """The record a real instance returned, stored in the emulator and fetched by the adapter, maps
    to the ticket the recording itself maps to."""
    sample = research_json("table-api-incident-sample.json")["result"][0]
    caller = sample["caller_id"]["value"]
    server.instance.insert("sys_user", {"sys_id": caller, "user_name": "employee", "name": "Joe Employee"})
    with server.past(2):
        server.instance.insert("incident", {k: v for k, v in sample.items() if not k.startswith("sys_")})
    (fetched,) = fetch_all(make())
    recorded = to_ticket(sample, settings, "sn")
    for name in ("number", "subject", "description", "channel", "impact", "urgency", "priority", "status"):
        assert getattr(fetched, name) == getattr(recorded, name), name
    assert (fetched.category, fetched.subcategory, fetched.created, fetched.resolved) == (
        recorded.category,
        recorded.subcategory,
        recorded.created,
        recorded.resolved,
    )
    assert fetched.requester.name == "Joe Employee"
    assert fetched.custom["assigned_to"] == recorded.custom["assigned_to"]


class TestFetch:
    def test_tickets_with_requester_channel_and_levels(self, server: ServiceNowEmulator, make: Make) -> None:
        caller = server.instance.add_user(
            "anna",
            name="Anna de Vries",
            email="anna@example.nl",
            preferred_language="nl",
            vip="true",
            time_zone="Europe/Amsterdam",
        )
        seed(
            server,
            caller_id=caller,
            contact_type="self-service",
            impact="1",
            urgency="2",
            state="3",
            hold_reason="1",
        )
        (ticket,) = fetch_all(make())
        assert ticket.requester.name == "Anna de Vries"
        assert ticket.requester.address == "anna@example.nl"
        assert ticket.requester.language == "nl"
        assert ticket.requester.vip is True
        assert ticket.channel == "portal"
        assert (ticket.impact, ticket.urgency, ticket.priority) == ("high", "medium", "P2")
        assert ticket.status == "On Hold"
        assert ticket.paused_since is not None

    def test_other_tables_and_filters(self, server: ServiceNowEmulator, make: Make) -> None:
        anna = server.instance.add_user("anna", name="Anna de Vries", email="anna@example.nl")
        seed(server, 1, table="sc_req_item", active="true", requested_for=anna, state="-5")
        seed(server, 1, table="sc_req_item", active="true", requested_for=anna, state="3")
        seed(server, 1, table="sc_req_item", active="false")
        seed(server, 4)
        tickets = fetch_all(make(table="sc_req_item", filter="active=true"))
        assert len(tickets) == 2
        assert all(t.number.startswith("RITM") for t in tickets)
        assert {t.requester.address for t in tickets} == {"anna@example.nl"}
        by_status = {t.status: t for t in tickets}
        assert set(by_status) == {"Pending", "Closed Complete"}
        assert by_status["Pending"].paused_since is not None
        assert by_status["Closed Complete"].paused_since is None  # incident's On Hold is 3; not here

    def test_pages_emptied_by_read_acls_do_not_end_the_scan(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        seed(server, 8)
        rows = server.instance.tables["incident"].values()
        order = [r["sys_id"] for r in sorted(rows, key=lambda r: (r["sys_updated_on"], r["sys_id"]))]
        hidden = {*order[:3], order[5]}  # the whole first page of three, and one more
        server.instance.hidden_records["integration"] = hidden
        tickets = fetch_all(make())
        assert [t.id for t in tickets] == [i for i in order if i not in hidden]
        pages = [e.response.json()["result"] for e in server.exchanges if e.method == "GET"]
        assert pages[0] == []  # a pager that stops at an empty or short page would have read nothing

    def test_a_page_of_odd_records_is_read_as_far_as_it_can_be(
        self, server: ServiceNowEmulator, make: Make, caplog: pytest.LogCaptureFixture
    ) -> None:
        stamp = "2026-11-23 08:00:00"
        nulls = {"sys_id": "a" * 32, "sys_updated_on": stamp, "sys_mod_count": "0", "number": None}
        nulls |= dict.fromkeys(["short_description", "impact", "urgency", "priority", "state"], None)
        nulls |= {"opened_at": None, "sys_created_on": stamp, "caller_id": None, "caller_id.vip": None}
        shaped = {
            "sys_id": "b" * 32,
            "sys_updated_on": stamp,
            "sys_mod_count": "3",
            "opened_at": "2026-11-23T07:30:00+01:00",  # ISO 8601, as exports have it
            "impact": {"display_value": "1 - High", "value": "1"},
            "caller_id": {"link": f"{server.url}api/now/table/sys_user/x", "value": "x"},
            "u_unknown_field": {"nested": [1, 2]},
        }
        no_id = {"sys_updated_on": stamp, "short_description": "no sys_id"}
        bad_date = {"sys_id": "c" * 32, "sys_updated_on": stamp, "opened_at": "23/11/2026 08:00"}
        page = {"result": [nulls, shaped, no_id, bad_date]}
        server.inject(Fault.status_code(200, page, {"X-Total-Count": "4"}), times=1)
        batches = list(make().fetch(None))
        tickets = [t for b in batches for t in b.tickets]
        assert [t.id for t in tickets] == ["a" * 32, "b" * 32]
        empty, odd = tickets
        assert (empty.subject, empty.impact, empty.status, empty.requester.vip) == ("", None, "", False)
        assert odd.impact == "high"
        assert odd.created == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
        assert odd.custom["sys_mod_count"] == "3"
        assert odd.raw["u_unknown_field"] == {"nested": [1, 2]}
        assert caplog.text.count("skipped a record of incident") == 2  # said, and the others kept
        assert "record has no sys_id" in caplog.text
        assert "not a ServiceNow date-time: '23/11/2026 08:00'" in caplog.text
        assert Watermark.decode(batches[-1].cursor).since == stamp  # and the cursor moved on

    def test_empty_table_gives_no_batches(self, make: Make) -> None:
        assert list(make().fetch(None)) == []

    def test_a_foreign_cursor_is_a_clear_error(self, make: Make) -> None:
        with pytest.raises(AdapterError, match="cannot resume: not a ServiceNow cursor"):
            list(make().fetch("2026-11-23T09:00:00Z"))

    def test_a_429_is_waited_out_honouring_retry_after(
        self, server: ServiceNowEmulator, make: Make, fake_clock: FakeClock
    ) -> None:
        seed(server, 2)
        server.inject(Fault.too_many_requests(retry_after=7), times=1)
        assert len(fetch_all(make())) == 2
        assert 7.0 in fake_clock.sleeps

    def test_the_hours_quota_is_counted_and_its_reset_waited_for_instead_of_a_429(
        self, server: ServiceNowEmulator, make: Make, fake_clock: FakeClock
    ) -> None:
        now = clear_of_the_hour()
        seed(server, 9)  # three pages of three
        server.instance.add_rate_limit(2, user="integration")

        def sleep(seconds: float) -> None:  # waiting lets the instance's clock move on too
            fake_clock.sleep(seconds)
            server.clock.offset += timedelta(seconds=seconds)

        adapter = make(retry=RetryPolicy(max_attempts=3, jitter=0, sleep=sleep, clock=fake_clock.monotonic))
        adapter.http.budget.max_pause = 3600  # the default caps a wait at 5 minutes
        assert len(fetch_all(adapter)) == 9
        assert [e.response.status for e in server.exchanges] == [200] * 3
        hour_end = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        (wait,) = fake_clock.sleeps
        assert abs(wait - (hour_end - now).total_seconds()) < 5  # until the top of the hour

    def test_an_exhausted_rate_limit_rule_is_a_clear_retryable_error(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        clear_of_the_hour()
        seed(server, 9)  # three pages of three
        server.instance.add_rate_limit(2, user="integration")
        with pytest.raises(AdapterError, match="rate-limit rule") as caught:
            fetch_all(make())
        assert caught.value.retryable is True
        assert caught.value.status == 429
        limited = [r for r in server.requests if r.path.startswith("/api/now/table/incident")]
        assert len(limited) == 2 + 3  # two served, then three tries of the third page


class TestWrites:
    def test_impact_and_urgency_are_written_and_priority_derived(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        adapter.set_priority(ticket, PriorityChange(impact="high", urgency="medium", priority="P2"))
        row = server.instance.tables["incident"][sys_id]
        assert (row["impact"], row["urgency"], row["priority"]) == ("1", "2", "2")
        patch = server.requests_to(f"/api/now/table/incident/{sys_id}", "PATCH")[-1]
        assert patch.json() == {"impact": "1", "urgency": "2"}

    def test_a_priority_alone_is_not_written_where_servicenow_derives_it(
        self, server: ServiceNowEmulator, make: Make, caplog: pytest.LogCaptureFixture
    ) -> None:
        seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        before = len(server.requests)
        adapter.set_priority(ticket, PriorityChange(priority="P1"))
        assert len(server.requests) == before
        assert "priority P1 comes without impact and urgency" in caplog.text

    def test_a_level_without_a_servicenow_value_fails_before_sending(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        before = len(server.requests)
        with pytest.raises(AdapterError, match="no ServiceNow value is mapped to level 'organisation'"):
            adapter.set_priority(ticket, PriorityChange(impact="organisation"))
        assert len(server.requests) == before

    def test_writing_what_is_there_sends_nothing(self, server: ServiceNowEmulator, make: Make) -> None:
        seed(server, impact="2", urgency="2")
        adapter = make()
        ticket = fetch_all(adapter)[0]
        before = len(server.requests)
        adapter.set_priority(ticket, PriorityChange(impact="medium", urgency="medium", priority="P3"))
        assert len(server.requests) == before

    def test_a_priority_servicenow_derives_differently_is_reported(
        self, server: ServiceNowEmulator, make: Make, caplog: pytest.LogCaptureFixture
    ) -> None:
        server.instance.set_priority_rule("1", "1", "2")  # a customised lookup table
        seed(server)
        adapter = make()
        adapter.set_priority(
            fetch_all(adapter)[0], PriorityChange(impact="high", urgency="high", priority="P1")
        )
        assert "holds priority P2 with impact 1 and urgency 1, matrixcore decided P1" in caplog.text
        assert "Priority Lookup Rules (dl_u_priority)" in caplog.text

    def test_requested_items_get_their_priority_written_with_write_all(
        self, server: ServiceNowEmulator, make: Make, caplog: pytest.LogCaptureFixture
    ) -> None:
        (sys_id,) = seed(server, table="sc_req_item")
        adapter = make(table="sc_req_item")
        change = PriorityChange(impact="high", urgency="high", priority="P1")
        (ticket,) = fetch_all(adapter)
        adapter.set_priority(ticket, change)
        assert server.instance.tables["sc_req_item"][sys_id]["priority"] == ""  # nothing derives it
        assert "sc_req_item derives no priority out of the box: use write: all" in caplog.text
        make(table="sc_req_item", write="all").set_priority(ticket, change)
        assert server.instance.tables["sc_req_item"][sys_id]["priority"] == "1"

    def test_a_priority_write_servicenow_ignores_is_an_error(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        seed(server)
        adapter = make(write="priority")
        with pytest.raises(AdapterError, match=r"did not store priority='1'"):
            adapter.set_priority(fetch_all(adapter)[0], PriorityChange(priority="P1"))

    def test_priority_is_written_where_the_instance_allows_it(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        server.instance.priority_writable = True
        (sys_id,) = seed(server)
        adapter = make(write="priority")
        adapter.set_priority(
            fetch_all(adapter)[0], PriorityChange(impact="high", urgency="high", priority="P1")
        )
        row = server.instance.tables["incident"][sys_id]
        assert (row["impact"], row["priority"]) == ("3", "1")

    def test_a_deleted_ticket_fails_at_once_and_says_so(self, server: ServiceNowEmulator, make: Make) -> None:
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        server.instance.delete("incident", sys_id)
        with pytest.raises(AdapterError, match="deleted") as caught:
            adapter.set_priority(ticket, PriorityChange(impact="high"))
        assert caught.value.status == 404
        assert caught.value.retryable is False
        assert len(server.requests_to(f"/api/now/table/incident/{sys_id}", "PATCH")) == 1

    def test_a_5xx_on_a_comment_is_not_retried_so_it_cannot_post_twice(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        server.inject(Fault.server_error(500), path="/api/now/table/incident/{sys_id}", times=1)
        with pytest.raises(AdapterError, match="500"):
            adapter.post_message(ticket, "We are on it", True)
        assert len(server.requests_to(f"/api/now/table/incident/{sys_id}", "PATCH")) == 1

    @pytest.mark.parametrize("applied", [False, True], ids=["not-carried-out", "carried-out"])
    def test_a_comment_answered_200_unreadably_counts_only_when_the_journal_shows_it(
        self, server: ServiceNowEmulator, make: Make, applied: bool
    ) -> None:
        """Issue 13 item 5: a proxy's 200 maintenance page is no proof that the comment went in."""
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        page = Fault.status_code(200, "<html>Maintenance</html>", {"Content-Type": "text/html"})
        server.inject(page.after_applying() if applied else page, path="/api/now/table/incident/{sys_id}")
        if applied:
            posted = adapter.post_message(ticket, "We are on it", True)
            assert [e["sys_id"] for e in server.instance.journal("incident", sys_id)] == [posted.id]
        else:
            with pytest.raises(AdapterError, match="not done") as caught:
                adapter.post_message(ticket, "We are on it", True)
            assert caught.value.retryable
            assert server.instance.journal("incident", sys_id) == []
        assert len(server.requests_to(f"/api/now/table/incident/{sys_id}", "PATCH")) == 1


class TestMessages:
    def test_comments_reach_the_caller_and_work_notes_stay_internal(
        self, server: ServiceNowEmulator, make: Make
    ) -> None:
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        reply = adapter.post_message(ticket, "We pakken je melding uiterlijk maandag 14:00 op. ✓", True)
        note = adapter.post_message(ticket, "P2: VIP requester (rule vip-requester)", False)
        entries = server.instance.journal("incident", sys_id)
        assert [(e["element"], e["sys_id"]) for e in entries] == [
            ("comments", reply.id),
            ("work_notes", note.id),
        ]
        listed = adapter.list_messages(ticket)
        assert [(m.id, m.visible_to_requester, m.author) for m in listed] == [
            (reply.id, True, "integration"),
            (note.id, False, "integration"),
        ]
        assert listed[0].text.endswith("✓")

    def test_a_journal_the_user_cannot_read_does_not_fail_a_posted_message(
        self, server: ServiceNowEmulator, make: Make, caplog: pytest.LogCaptureFixture
    ) -> None:
        (sys_id,) = seed(server)
        adapter = make()
        ticket = fetch_all(adapter)[0]
        server.instance.hidden["integration"] = {"sys_journal_field"}
        posted = adapter.post_message(ticket, "We are on it", True)
        assert posted.id.startswith(f"{sys_id}:comments:")
        assert "cannot read it back" in caplog.text
        server.inject(
            Fault.status_code(403, {"error": {"message": "User Not Authorized"}}),
            path="/api/now/table/sys_journal_field",
        )
        again = adapter.post_message(ticket, "Still on it", False)
        assert again.visible_to_requester is False
        assert [e["value"] for e in server.instance.journal("incident", sys_id)] == [
            "We are on it",
            "Still on it",
        ]
        server.inject(
            Fault.status_code(403, {"error": {"message": "User Not Authorized"}}),
            path="/api/now/table/sys_journal_field",
        )
        with pytest.raises(AdapterError, match="lacks a role or an ACL"):
            adapter.check()

    def test_list_messages_pages_through_a_long_journal(self, server: ServiceNowEmulator, make: Make) -> None:
        (sys_id,) = seed(server)
        with server.past(2):
            for n in range(25):
                server.instance.update("incident", sys_id, {"comments": f"comment {n}"})
        adapter = make(page_size=3)
        (ticket,) = fetch_all(adapter)
        listed = adapter.list_messages(ticket)
        # Entries of one second tie on their stamp, and the instance orders ties as it likes:
        # each page is a different draw, so without a total order some would repeat, others go.
        assert sorted(m.text for m in listed) == sorted(f"comment {n}" for n in range(25))
        assert [m.created for m in listed] == sorted(m.created for m in listed)  # type: ignore[type-var]
        journal = server.requests_to("/api/now/table/sys_journal_field")
        assert len(journal) == 9  # pages of three, following Link rel="next"


@pytest.mark.parametrize("description", ["now-Table_API.2026-03.json", "now-Table_API.australia.json"])
def test_every_request_and_response_conforms_to_the_published_description(
    description: str, server: ServiceNowEmulator, make: Make
) -> None:
    path = research_file(description)
    seed(server, 5)
    for auth in (BASIC, OAUTH):
        adapter = make(auth=auth)
        adapter.check()
        tickets = fetch_all(adapter)
        adapter.set_priority(tickets[0], PriorityChange(impact="high", urgency="high"))
        adapter.post_message(tickets[0], "reply", True)
        adapter.post_message(tickets[0], "note", False)
        adapter.list_messages(tickets[0])
    api = TableApiDescription.load(path, server.url)
    checked = 0
    for exchange in server.exchanges:
        if exchange.target.startswith("/oauth_token.do"):
            continue  # not part of the Table API; its form is checked by the emulator
        url = server.url.rstrip("/") + exchange.target
        method, response = exchange.method, exchange.response
        assert (
            api.request_problems(method, url, exchange.body, exchange.content_type or "application/json")
            == []
        )
        if api.describes_responses(method, url):
            kind = response.headers.get("Content-Type", "")
            assert api.response_problems(method, url, response.status, response.body, kind) == []
        checked += 1
    assert checked >= 14
