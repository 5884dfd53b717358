"""The emulated instance behaves like ServiceNow in what the adapter relies on: update stamps,
journal, derived priority, auth, OAuth, rate limits, paging headers and value shapes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from requests.utils import parse_header_links

from matrixcore_servicenow.testing import ManualClock, ServiceNowApi, ServiceNowInstance

from servicenow_support import basic, research_json


def get(api: ServiceNowApi, path: str, auth: dict[str, str], **params: str) -> Any:
    return api.handle("GET", f"{path}?{urlencode(params)}" if params else path, auth)


def patch(api: ServiceNowApi, path: str, auth: dict[str, str], body: dict[str, Any], **params: str) -> Any:
    target = f"{path}?{urlencode(params)}" if params else path
    return api.handle(
        "PATCH", target, {**auth, "Content-Type": "application/json"}, json.dumps(body).encode()
    )


class TestRecords:
    def test_insert_stamps_system_fields_and_derives_priority(self, instance: ServiceNowInstance) -> None:
        row = instance.insert("incident", {"short_description": "VPN", "impact": "1", "urgency": "2"})
        assert row["number"] == "INC0010001"
        assert row["sys_created_on"] == row["sys_updated_on"] == "2026-11-23 08:00:00"
        assert row["sys_mod_count"] == "0"
        assert (row["state"], row["priority"]) == ("1", "2")

    def test_updates_stamp_the_clock_and_count(
        self, instance: ServiceNowInstance, clock: ManualClock
    ) -> None:
        row = instance.insert("incident", {"short_description": "VPN"})
        clock.advance(5)
        updated = instance.update("incident", row["sys_id"], {"urgency": "1"})
        assert updated is not None
        assert updated["sys_updated_on"] == "2026-11-23 08:00:05"
        assert updated["sys_mod_count"] == "1"
        assert updated["priority"] == "3"  # impact 3 (default) x urgency 1

    def test_an_update_that_changes_nothing_is_no_update(
        self, instance: ServiceNowInstance, clock: ManualClock
    ) -> None:
        row = instance.insert("incident", {"urgency": "2"})
        clock.advance(5)
        same = instance.update("incident", row["sys_id"], {"urgency": "2", "u_unknown": "x", "number": "X"})
        assert same == row

    def test_priority_is_read_only_unless_the_instance_allows_it(self, clock: ManualClock) -> None:
        strict = ServiceNowInstance(clock=clock)
        row = strict.insert("incident", {"impact": "2", "urgency": "2"})
        assert strict.update("incident", row["sys_id"], {"priority": "1"}) == row
        relaxed = ServiceNowInstance(clock=clock, priority_writable=True)
        row = relaxed.insert("incident", {"impact": "2", "urgency": "2"})
        assert relaxed.update("incident", row["sys_id"], {"priority": "1"})["priority"] == "1"  # type: ignore[index]

    def test_comments_and_work_notes_append_journal_entries(
        self, instance: ServiceNowInstance, clock: ManualClock
    ) -> None:
        row = instance.insert("incident", {"short_description": "VPN"})
        clock.advance(1)
        instance.update("incident", row["sys_id"], {"comments": "We are on it."}, user="integration")
        instance.update("incident", row["sys_id"], {"work_notes": "P2 because VIP"}, user="integration")
        instance.update("incident", row["sys_id"], {"comments": "  "})  # blank: nothing
        entries = instance.journal("incident", row["sys_id"])
        assert [(e["element"], e["value"], e["sys_created_by"]) for e in entries] == [
            ("comments", "We are on it.", "integration"),
            ("work_notes", "P2 because VIP", "integration"),
        ]
        assert instance.tables["incident"][row["sys_id"]]["sys_mod_count"] == "2"

    def test_priority_is_derived_per_table(self, instance: ServiceNowInstance) -> None:
        instance.set_priority_rule("1", "1", "2", table="problem")  # problem's rules are its own
        assert instance.insert("incident", {"impact": "1", "urgency": "1"})["priority"] == "1"
        assert instance.insert("problem", {"impact": "1", "urgency": "1"})["priority"] == "2"
        item = instance.insert("sc_req_item", {"impact": "1", "urgency": "1"})
        assert item["priority"] == ""  # no lookup rules for requested items: nothing derived
        assert instance.update("sc_req_item", item["sys_id"], {"priority": "2"})["priority"] == "2"  # type: ignore[index]

    def test_customised_priority_lookup(self, clock: ManualClock) -> None:
        # One real instance (the UCI incident log) derives priority 4, not 5, from impact 3 x urgency 3.
        custom = ServiceNowInstance(clock=clock, priority_lookup={("3", "3"): "4"})
        assert custom.insert("incident", {"impact": "3", "urgency": "3"})["priority"] == "4"


class TestAuth:
    def test_basic_auth(self, api: ServiceNowApi, admin: dict[str, str]) -> None:
        assert get(api, "/api/now/table/incident", admin).status == 200
        refused = get(api, "/api/now/table/incident", basic("admin", "wrong"))
        assert refused.status == 401
        assert refused.json() == {
            "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
            "status": "failure",
        }
        assert get(api, "/api/now/table/incident", {}).status == 401

    def test_oauth_password_grant_refresh_and_expiry(
        self, api: ServiceNowApi, instance: ServiceNowInstance, clock: ManualClock
    ) -> None:
        instance.add_oauth_client("client-1", "client-secret")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode(
            {
                "grant_type": "password",
                "client_id": "client-1",
                "client_secret": "client-secret",
                "username": "integration",
                "password": "s3cret",
            }
        ).encode()
        token = api.handle("POST", "/oauth_token.do", form, body).json()
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 1799
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert get(api, "/api/now/table/incident", bearer).status == 200
        # Within its lifespan the same access token comes back.
        assert (
            api.handle("POST", "/oauth_token.do", form, body).json()["access_token"] == token["access_token"]
        )
        clock.advance(1800)
        assert get(api, "/api/now/table/incident", bearer).status == 401
        refresh = urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": "client-1",
                "client_secret": "client-secret",
                "refresh_token": token["refresh_token"],
            }
        ).encode()
        renewed = api.handle("POST", "/oauth_token.do", form, refresh).json()
        assert renewed["access_token"] != token["access_token"]
        assert (
            get(api, "/api/now/table/incident", {"Authorization": f"Bearer {renewed['access_token']}"}).status
            == 200
        )

    def test_oauth_refusals(self, api: ServiceNowApi, instance: ServiceNowInstance) -> None:
        instance.add_oauth_client("client-1", "client-secret")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        wrong = urlencode({"grant_type": "client_credentials", "client_id": "client-1", "client_secret": "x"})
        answer = api.handle("POST", "/oauth_token.do", form, wrong.encode())
        assert (answer.status, answer.json()["error_description"]) == (401, "access_denied")
        no_user = urlencode(
            {"grant_type": "client_credentials", "client_id": "client-1", "client_secret": "client-secret"}
        )
        assert api.handle("POST", "/oauth_token.do", form, no_user.encode()).status == 401  # no app user
        as_json = api.handle("POST", "/oauth_token.do", {"Content-Type": "application/json"}, b"{}")
        assert as_json.status == 400

    def test_client_credentials_act_as_the_application_user(
        self, api: ServiceNowApi, instance: ServiceNowInstance
    ) -> None:
        instance.add_oauth_client("client-2", "secret-2", app_user="integration")
        body = urlencode(
            {"grant_type": "client_credentials", "client_id": "client-2", "client_secret": "secret-2"}
        )
        answer = api.handle(
            "POST", "/oauth_token.do", {"Content-Type": "application/x-www-form-urlencoded"}, body.encode()
        )
        token = answer.json()
        assert "refresh_token" not in token
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        created = api.handle("POST", "/api/now/table/incident", bearer, b'{"short_description": "x"}').json()
        assert created["result"]["sys_created_by"] == "integration"


class TestRateLimits:
    def test_headers_429_and_the_hourly_reset(
        self, api: ServiceNowApi, instance: ServiceNowInstance, admin: dict[str, str], clock: ManualClock
    ) -> None:
        rule = instance.add_rate_limit(2, user="admin")
        instance.add_rate_limit(100)  # an all-users rule: the single-user rule wins
        first = get(api, "/api/now/table/incident", admin)
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert first.headers["X-RateLimit-Rule"] == rule.sys_id
        assert first.headers["X-RateLimit-Reset"] == str(int((clock.now + timedelta(hours=1)).timestamp()))
        clock.advance(600)
        assert get(api, "/api/now/table/incident", admin).status == 200
        over = get(api, "/api/now/table/incident", admin)
        assert over.status == 429
        assert over.headers["Retry-After"] == "3000"
        assert over.json()["error"]["message"] == "Rate limit exceeded"
        clock.advance(3000)
        assert get(api, "/api/now/table/incident", admin).status == 200

    def test_other_users_are_not_counted(self, api: ServiceNowApi, instance: ServiceNowInstance) -> None:
        instance.add_rate_limit(1, user="admin")
        assert get(api, "/api/now/table/incident", basic("admin", "admin-pw")).status == 200
        assert get(api, "/api/now/table/incident", basic("admin", "admin-pw")).status == 429
        ok = get(api, "/api/now/table/incident", basic("integration", "s3cret"))
        assert ok.status == 200
        assert "X-RateLimit-Limit" not in ok.headers


class TestTableApi:
    @pytest.fixture
    def seeded(self, instance: ServiceNowInstance, clock: ManualClock) -> list[str]:
        caller = instance.add_user(
            "anna", name="Anna de Vries", email="anna@example.nl", preferred_language="nl"
        )
        ids = []
        for n in range(5):
            clock.advance(1)
            ids.append(
                instance.insert("incident", {"short_description": f"T{n}", "caller_id": caller})["sys_id"]
            )
        return ids

    def test_paging_headers(self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]) -> None:
        page = get(
            api, "/api/now/table/incident", admin, sysparm_query="ORDERBYsys_created_on", sysparm_limit="2"
        )
        assert page.headers["X-Total-Count"] == "5"
        links = {link["rel"]: link["url"] for link in parse_header_links(page.headers["Link"])}
        # As a recorded real response has it: no "prev" on the first page.
        assert set(links) == {"first", "next", "last"}
        following = [r["short_description"] for r in page.json()["result"]]
        rels = []
        url = links["next"]
        while url:
            split = urlsplit(url)
            assert split.path == "/api/now/table/incident"
            assert parse_qs(split.query)["sysparm_query"] == ["ORDERBYsys_created_on"]
            page = api.handle("GET", f"{split.path}?{split.query}", admin)
            following += [r["short_description"] for r in page.json()["result"]]
            here = {link["rel"]: link["url"] for link in parse_header_links(page.headers["Link"])}
            rels.append(set(here))
            url = here.get("next", "")
        assert following == ["T0", "T1", "T2", "T3", "T4"]
        assert rels == [{"first", "prev", "next", "last"}, {"first", "prev", "last"}]  # no "next" at the end
        assert parse_qs(urlsplit(links["last"]).query)["sysparm_offset"] == ["4"]

    def test_one_page_has_no_link_header(
        self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]
    ) -> None:
        page = get(api, "/api/now/table/incident", admin, sysparm_limit="5")
        assert page.headers["X-Total-Count"] == "5"
        assert "Link" not in page.headers

    def test_row_level_acls_filter_after_paging(
        self, api: ServiceNowApi, instance: ServiceNowInstance, admin: dict[str, str], seeded: list[str]
    ) -> None:
        instance.hidden_records["admin"] = {seeded[0], seeded[1]}
        page = get(
            api, "/api/now/table/incident", admin, sysparm_query="ORDERBYsys_created_on", sysparm_limit="2"
        )
        # The count and the links are the query's; the rows are what the ACLs let through.
        assert page.json()["result"] == []
        assert page.headers["X-Total-Count"] == "5"
        assert 'rel="next"' in page.headers["Link"]
        assert get(api, f"/api/now/table/incident/{seeded[0]}", admin).status == 404

    def test_no_count_and_suppressed_header(
        self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]
    ) -> None:
        page = get(api, "/api/now/table/incident", admin, sysparm_no_count="true", sysparm_limit="5")
        assert "X-Total-Count" not in page.headers
        assert "next" in page.headers["Link"]  # a full page: there may be more
        quiet = get(api, "/api/now/table/incident", admin, sysparm_suppress_pagination_header="true")
        assert "Link" not in quiet.headers

    def test_fields_dot_walks_and_actual_values(
        self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]
    ) -> None:
        result = get(
            api,
            "/api/now/table/incident",
            admin,
            sysparm_fields="number,caller_id,caller_id.email,state,comments,u_missing",
            sysparm_exclude_reference_link="true",
            sysparm_limit="1",
        ).json()["result"][0]
        assert result == {
            "number": "INC0010001",
            "caller_id": result["caller_id"],
            "caller_id.email": "anna@example.nl",
            "state": "1",
            "comments": "",
        }
        assert isinstance(result["caller_id"], str)
        assert len(result["caller_id"]) == 32

    def test_display_value_shapes(self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]) -> None:
        fields = "caller_id,state,priority"
        shown = get(
            api, "/api/now/table/incident", admin, sysparm_fields=fields, sysparm_display_value="true"
        )
        row = shown.json()["result"][0]
        assert row["state"] == "New"
        assert row["priority"] == "5 - Planning"
        assert row["caller_id"]["display_value"] == "Anna de Vries"
        both = get(api, "/api/now/table/incident", admin, sysparm_fields=fields, sysparm_display_value="all")
        row = both.json()["result"][0]
        assert row["state"] == {"display_value": "New", "value": "1"}
        assert set(row["caller_id"]) == {"display_value", "value", "link"}

    def test_tables_show_their_own_state_choices(
        self, api: ServiceNowApi, instance: ServiceNowInstance, admin: dict[str, str]
    ) -> None:
        item = instance.insert("sc_req_item", {"state": "3"})
        incident = instance.insert("incident", {"state": "3"})
        shown = {"sysparm_fields": "state", "sysparm_display_value": "true"}
        assert get(api, f"/api/now/table/sc_req_item/{item['sys_id']}", admin, **shown).json() == {
            "result": {"state": "Closed Complete"}
        }
        assert get(api, f"/api/now/table/incident/{incident['sys_id']}", admin, **shown).json() == {
            "result": {"state": "On Hold"}
        }

    def test_journal_is_queryable_and_shown_in_display_values(
        self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]
    ) -> None:
        answer = patch(api, f"/api/now/table/incident/{seeded[0]}", admin, {"comments": "Hello Anna"})
        assert answer.status == 200
        entries = get(
            api,
            "/api/now/table/sys_journal_field",
            admin,
            sysparm_query=f"element_id={seeded[0]}^name=incident^element=comments^ORDERBYsys_created_on",
        ).json()["result"]
        assert [(e["value"], e["sys_created_by"]) for e in entries] == [("Hello Anna", "admin")]
        shown = get(api, f"/api/now/table/incident/{seeded[0]}", admin, sysparm_display_value="true")
        assert "System Administrator (Additional comments)\nHello Anna" in shown.json()["result"]["comments"]

    def test_patch_returns_the_updated_record(
        self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]
    ) -> None:
        answer = patch(
            api,
            f"/api/now/table/incident/{seeded[0]}",
            admin,
            {"impact": "1", "urgency": "1", "priority": "4"},
            sysparm_fields="impact,urgency,priority,sys_mod_count",
        )
        assert answer.json()["result"] == {
            "impact": "1",
            "urgency": "1",
            "priority": "1",
            "sys_mod_count": "1",
        }

    def test_errors(self, api: ServiceNowApi, admin: dict[str, str], seeded: list[str]) -> None:
        missing = patch(api, "/api/now/table/incident/0000", admin, {"impact": "1"})
        assert missing.status == 404
        assert missing.json()["error"]["message"] == "No Record found"
        assert (
            get(api, "/api/now/table/incidentx", admin).json()["error"]["message"]
            == "Invalid table incidentx"
        )
        bad = api.handle("PATCH", f"/api/now/table/incident/{seeded[0]}", admin, b"{not json")
        assert bad.status == 400
        assert get(api, "/api/now/ui/meta", admin).status == 400

    def test_invalid_query_fields_match_everything_by_default(
        self, api: ServiceNowApi, instance: ServiceNowInstance, admin: dict[str, str], seeded: list[str]
    ) -> None:
        loose = get(api, "/api/now/table/incident", admin, sysparm_query="u_typo=1")
        assert loose.headers["X-Total-Count"] == "5"
        instance.invalid_query_returns_no_rows = True
        assert (
            get(api, "/api/now/table/incident", admin, sysparm_query="u_typo=1").headers["X-Total-Count"]
            == "0"
        )

    def test_the_real_sample_record_round_trips(
        self, api: ServiceNowApi, instance: ServiceNowInstance, admin: dict[str, str]
    ) -> None:
        sample = research_json("table-api-incident-sample.json")["result"][0]
        created = api.handle("POST", "/api/now/table/incident", admin, json.dumps(sample).encode())
        assert created.status == 201
        row = get(api, f"/api/now/table/incident/{sample['sys_id']}", admin).json()["result"]
        # Same columns as the real record; values kept (system fields and number are the instance's own).
        assert set(row) <= set(sample) | {"sys_tags"}
        own = {
            "sys_created_on",
            "sys_updated_on",
            "sys_created_by",
            "sys_updated_by",
            "sys_mod_count",
            "number",
        }
        for name in set(row) - own:
            expected = sample[name]["value"] if isinstance(sample[name], dict) else sample[name]
            actual = row[name]["value"] if isinstance(row[name], dict) else row[name]
            assert actual == expected, name
