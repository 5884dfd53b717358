"""Shared fixtures of the Zendesk plugin's tests."""

from __future__ import annotations

import pytest
from matrixcore_zendesk import ZendeskSettings
from zendesk_account import BASE_SETTINGS


@pytest.fixture
def settings() -> ZendeskSettings:
    """A connection with impact in a drop-down field, urgency in tags and a 5-level priority map."""
    return ZendeskSettings.from_settings(
        {
            **BASE_SETTINGS,
            "impact": {"field_id": 1001},
            "urgency": {"tag_prefix": "urgency_"},
            "priority": {"values": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low", "P5": "low"}},
            "custom_fields": {"affected_users": 1003},
        }
    )
