"""Records and codecs of the Zendesk emulator: errors, timestamps, cursors, tickets and jobs."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "CONFLICT",
    "MAX_COMMENTS",
    "MAX_JOB_ITEMS",
    "MAX_PAGE",
    "PRIORITIES",
    "STATUSES",
    "Job",
    "TicketRecord",
    "ZendeskError",
    "decode_cursor",
    "decode_offset",
    "encode_cursor",
    "encode_offset",
    "invalid",
    "parse_time",
    "stamp",
]

PRIORITIES: Final = ("urgent", "high", "normal", "low")
STATUSES: Final = ("new", "open", "pending", "hold", "solved", "closed")
MAX_COMMENTS: Final = 5000
MAX_PAGE: Final = 1000
MAX_JOB_ITEMS: Final = 100
CONFLICT: Final = (
    "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again."
)


class ZendeskError(Exception):
    """What Zendesk answers instead of a result: an HTTP status and its JSON body."""

    def __init__(self, status: int, error: str, description: str = "", **extra: Any) -> None:
        self.status = status
        self.body: dict[str, Any] = {
            "error": error,
            **({"description": description} if description else {}),
            **extra,
        }
        super().__init__(f"{status} {error}: {description}")


def stamp(instant: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, ``Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ZendeskError(400, "InvalidValue", f"not a time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def invalid(field_name: str, description: str) -> ZendeskError:
    return ZendeskError(
        422, "RecordInvalid", "Record validation errors", details={field_name: [{"description": description}]}
    )


@dataclass
class TicketRecord:
    """A ticket and the history the metrics are computed from."""

    data: dict[str, Any]
    generated: int
    comments: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    status_since: datetime = field(default_factory=lambda: datetime.now(UTC))
    paused_minutes: dict[str, float] = field(default_factory=dict)
    first_reply: datetime | None = None
    replies: int = 0
    solved_at: datetime | None = None

    @property
    def id(self) -> int:
        return int(self.data["id"])


@dataclass
class Job:
    id: str
    items: list[dict[str, Any]]
    queued_at: datetime
    author_id: int
    polls: int = 0
    results: list[dict[str, Any]] | None = None


def encode_cursor(position: tuple[float, int]) -> str:
    """Zendesk's cursor shape: base64 of ``"<timestamp>.0||<id>|"`` (opaque to clients)."""
    return base64.b64encode(f"{float(position[0])}||{position[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        stamp_text, _, rest = base64.b64decode(cursor.encode(), validate=True).decode().partition("||")
        return float(stamp_text), int(rest.rstrip("|"))
    except (ValueError, UnicodeDecodeError):
        raise ZendeskError(400, "InvalidCursor", "The cursor is invalid") from None


def encode_offset(offset: int) -> str:
    return base64.b64encode(f'{{"o":{offset}}}'.encode()).decode()


def decode_offset(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        return int(text.removeprefix('{"o":').removesuffix("}"))
    except (ValueError, UnicodeDecodeError):
        raise ZendeskError(400, "InvalidPaginationParameter", "The cursor is invalid") from None
