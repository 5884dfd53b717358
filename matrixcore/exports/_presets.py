"""Column presets for the ticket exports service desks already make: which column holds which field.

Exports name their columns after what the person exporting saw: field names in a ServiceNow list
export (``short_description``), translated labels in a TOPdesk selection export ("Korte omschrijving"
or "Brief description"), Zendesk's report headers ("Created at") or the API's JSON keys
(``via.channel``). So a preset lists, per ticket field, every column name that export is known to
use, and the first one present in the header wins. A config's ``source.columns`` overrides any of
them, and columns no preset knows are kept as custom fields under their own name.

Channel values are matched without regard to case; ``ordinals`` list a tool's level values most
severe first, so ``urgent``/``high``/``normal``/``low`` can be mapped by position onto a ruleset
when nothing more specific is configured (the report shows every such guess).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = ["COMMON_DATE_FORMATS", "COMMON_NULLS", "PRESETS", "TARGETS", "Preset"]

#: Every ticket field a column can fill, with how its text is read. ``custom.NAME`` (or any other
#: name) fills a custom field, read as a number where it looks like one.
TARGETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "id": "text",
        "number": "text",
        "subject": "text",
        "description": "text",
        "channel": "channel",
        "category": "text",
        "subcategory": "text",
        "service": "text",
        "status": "text",
        "impact": "level",
        "urgency": "level",
        "priority": "level",
        "created": "time",
        "updated": "time",
        "first_response": "time",
        "resolved": "time",
        #: Minutes after ``created`` (Zendesk's "First reply time in minutes").
        "first_response_minutes": "minutes",
        "resolution_minutes": "minutes",
        #: Time the ticket spent on hold, which extends its targets.
        "paused_seconds": "seconds",
        "paused_minutes": "minutes",
        "requester.name": "text",
        "requester.address": "text",
        "requester.language": "text",
        "requester.timezone": "text",
        "requester.vip": "bool",
        #: The source system's own SLA outcome, and its own resolution target (for the backtest and
        #: the consistency audit). Kept as ``custom.sla_met`` and ``custom.target_date``.
        "sla_met": "bool",
        "target_date": "time",
        #: When the ticket was closed: no resolution time, but the backtest says when a closed
        #: ticket has none (kept as ``custom.closed_at``).
        "closed": "time",
    }
)

#: Words any tool writes for "no value"; a preset adds its own (ServiceNow's ``?``).
COMMON_NULLS: Final = ("NULL", "null", "(null)", "None", "N/A", "n/a")
#: ``strptime`` formats the date format of an export is inferred from when none is configured and
#: its preset's own do not fit: day first and month first, so a day of 29 tells them apart.
COMMON_DATE_FORMATS: Final = tuple(
    f"{date}{time}"
    for date in ("%d-%m-%Y", "%m-%d-%Y", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y")
    for time in (" %H:%M:%S", " %H:%M", "")
)


@dataclass(frozen=True, slots=True)
class Preset:
    """The column names one kind of export uses for each ticket field, and how its values read."""

    name: str
    description: str
    #: Ticket field -> candidate column names (CSV headers, or JSON keys and dotted paths).
    columns: Mapping[str, tuple[str, ...]]
    #: Casefolded export channel value -> matrixcore channel name (others pass through casefolded).
    channels: Mapping[str, str] = field(default_factory=dict)
    #: Dimension -> the tool's values most severe first, for mapping by position.
    ordinals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``strptime`` formats the tool writes; when no ``date_format`` is configured, the one that
    #: reads the export's first rows (and no other that reads them differently) is used.
    date_formats: tuple[str, ...] = ()
    #: What the tool writes for a missing value (besides an empty cell and ``COMMON_NULLS``).
    nulls: tuple[str, ...] = ()


def _cols(**columns: str | tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    out = {}
    for target, names in columns.items():
        out[target.replace("__", ".")] = (names,) if isinstance(names, str) else names
    return MappingProxyType(out)


#: matrixcore's own shape: ``Ticket.to_dict()`` keys (nested ``requester``) or flat dotted headers.
_NATIVE = Preset(
    "matrixcore",
    "matrixcore's own field names (Ticket.to_dict), in CSV headers or JSON keys",
    MappingProxyType({name: (name,) for name in TARGETS}),
)

_SERVICENOW = Preset(
    "servicenow",
    "ServiceNow incident list export (CSV/JSON, field names as headers, display values)",
    _cols(
        id=("sys_id", "number"),
        number="number",
        subject="short_description",
        description="description",
        channel="contact_type",
        category="category",
        subcategory="subcategory",
        service=("business_service", "cmdb_ci"),
        status=("state", "incident_state"),
        impact="impact",
        urgency="urgency",
        priority="priority",
        created=("opened_at", "sys_created_on", "sys_created_at"),
        updated=("sys_updated_on", "sys_updated_at"),
        first_response=("work_start", "u_first_response"),
        resolved="resolved_at",
        closed="closed_at",
        requester__name=("caller_id.name", "caller_id"),
        requester__address="caller_id.email",
        requester__language="caller_id.preferred_language",
        requester__vip="caller_id.vip",
        sla_met="made_sla",
        assignment_group="assignment_group",
        location="location",
        reassignment_count="reassignment_count",
    ),
    channels=MappingProxyType(
        {
            "email": "email",
            "e-mail": "email",
            "phone": "phone",
            "self-service": "portal",
            "chat": "chat",
            "virtual_agent": "chat",
            "virtual agent": "chat",
            "walk-in": "walk-in",
            "twitter": "twitter",
            "facebook": "facebook",
        }
    ),
    # "1 - High", "2 - Medium" ... are read by their leading number; these are the bare values.
    ordinals=MappingProxyType({"impact": ("high", "medium", "low"), "urgency": ("high", "medium", "low")}),
    # The instance's date format ("dd-MM-yyyy HH:mm:ss", "MM/dd/yyyy", ...): which one, the first
    # rows decide. The UCI event log has "29/2/2016 01:16".
    date_formats=(
        "%d-%m-%Y %H:%M:%S",
        "%m-%d-%Y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
    ),
    # Exports of reference fields with no value write "?" (the UCI event log has 2,861 such rows).
    nulls=("?",),
)

_TOPDESK = Preset(
    "topdesk",
    "TOPdesk incident export (selection export with Dutch or English column titles, or API JSON)",
    _cols(
        id=("id", "Incidentnummer", "Meldingnummer", "Incident number", "Number", "number"),
        number=("number", "Incidentnummer", "Meldingnummer", "Incident number", "Number"),
        subject=("briefDescription", "Korte omschrijving", "Brief description"),
        description=("request", "Verzoek", "Request"),
        channel=("entryType.name", "Aanmeldingswijze", "Entry type", "entryType"),
        category=("category.name", "Categorie", "Category"),
        subcategory=("subcategory.name", "Subcategorie", "Subcategory"),
        service=("object.name", "Object"),
        status=("processingStatus.name", "Behandelstatus", "Processing status", "Status"),
        impact=("impact.name", "Impact"),
        urgency=("urgency.name", "Urgentie", "Urgency"),
        priority=("priority.name", "Prioriteit", "Priority"),
        created=("callDate", "Datum aanmelding", "Aanmelddatum", "Call date", "creationDate"),
        updated=("modificationDate", "Datum wijziging", "Wijzigingsdatum", "Modification date"),
        first_response=("responseDate", "Datum reactie", "Reactiedatum", "Response date"),
        resolved=("completedDate", "Datum gereed", "Gereed datum", "Completed date"),
        closed=("closedDate", "Datum afgemeld", "Afmelddatum", "Closed date"),
        target_date=("targetDate", "Streefdatum", "Target date"),
        paused_minutes=("onHoldDuration", "Duur parkeren", "On hold duration"),
        requester__name=("caller.dynamicName", "Aanmelder", "Naam aanmelder", "Caller"),
        requester__address=("caller.email", "E-mail aanmelder", "E-mail", "Caller email"),
        requester__language=("caller.language", "Taal", "Language"),
        requester__vip=("caller.vip", "VIP"),
        call_type=("callType.name", "Soort melding", "Call type"),
        operator_group=("operatorGroup.name", "Operatorgroep", "Operator group"),
        branch=("callerBranch.name", "Vestiging", "Branch"),
    ),
    channels=MappingProxyType(
        {
            "e-mail": "email",
            "email": "email",
            "mail": "email",
            "telefoon": "phone",
            "telefonisch": "phone",
            "telephone": "phone",
            "phone": "phone",
            "self-service portal": "portal",
            "selfservice portal": "portal",
            "zelfbedieningsportaal": "portal",
            "portal": "portal",
            "ssp": "portal",
            "chat": "chat",
            "twitter": "twitter",
            "x": "twitter",
            "facebook": "facebook",
            "balie": "walk-in",
            "counter": "walk-in",
            "walk-in": "walk-in",
        }
    ),
    date_formats=("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y"),
    nulls=("-",),
)

_ZENDESK = Preset(
    "zendesk",
    "Zendesk ticket export (Admin Center CSV headers, or the JSON export's keys)",
    _cols(
        id=("id", "Id", "ID"),
        number=("id", "Id", "ID"),
        subject=("subject", "Subject"),
        description=("description", "Description"),
        channel=("via.channel", "Via", "via"),
        category=("type", "Ticket type", "Type"),
        status=("status", "Status"),
        priority=("priority", "Priority"),
        created=("created_at", "Created at"),
        updated=("updated_at", "Updated at"),
        resolved=("metric_set.solved_at", "solved_at", "Solved at"),
        first_response_minutes=("metric_set.reply_time_in_minutes.calendar", "First reply time in minutes"),
        paused_minutes=("metric_set.on_hold_time_in_minutes.calendar", "On hold time in minutes"),
        requester__name=("requester.name", "Requester"),
        requester__address=("requester.email", "Requester email"),
        requester__language=("requester.locale", "Requester language"),
        tags=("tags", "Tags"),
        group=("group.name", "Group"),
    ),
    channels=MappingProxyType(
        {
            "web": "portal",
            "web form": "portal",
            "web_form": "portal",
            "web widget": "portal",
            "mobile": "portal",
            "email": "email",
            "mail": "email",
            "twitter": "twitter",
            "twitter_dm": "twitter",
            "x": "twitter",
            "facebook": "facebook",
            "facebook_post": "facebook",
            "facebook_message": "facebook",
            "chat": "chat",
            "native_messaging": "chat",
            "messaging": "chat",
            "voice": "phone",
            "voicemail": "phone",
            "phone": "phone",
            "phone call (inbound)": "phone",
        }
    ),
    ordinals=MappingProxyType({"priority": ("urgent", "high", "normal", "low")}),
    date_formats=("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%d %b %Y %H:%M", "%Y-%m-%d %H:%M"),
    nulls=("-",),
)

#: The built-in export presets by name; an adapter may reuse a preset's ``channels`` (TOPdesk's does).
PRESETS: Final[Mapping[str, Preset]] = MappingProxyType(
    {preset.name: preset for preset in (_NATIVE, _SERVICENOW, _TOPDESK, _ZENDESK)}
)
