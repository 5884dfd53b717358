"""matrixcore-itsm-zendesk: the Zendesk adapter for matrixcore.

Zendesk has no impact or urgency of its own: matrixcore brings the matrix to it, writing the levels
into ticket fields or tags and the matrix priority onto Zendesk's ``urgent/high/normal/low``.
"""

from __future__ import annotations

from ._mapping import MappingError, Sideloads, message_from_comment, ticket_from_zendesk, update_for
from ._settings import DEFAULT_CHANNELS, LevelField, PriorityMap, ZendeskSettings, connection_schema

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CHANNELS",
    "LevelField",
    "MappingError",
    "PriorityMap",
    "Sideloads",
    "ZendeskSettings",
    "__version__",
    "connection_schema",
    "message_from_comment",
    "ticket_from_zendesk",
    "update_for",
]
