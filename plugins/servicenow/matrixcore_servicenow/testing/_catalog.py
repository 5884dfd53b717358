"""What the emulated instance knows about its tables: columns and their types, choice lists, and the
out-of-the-box priority lookup.

Column names and types follow a live instance's dictionary (the test suite checks them against
the exported column list in the shared research data); the choice values follow the base system's
``sys_choice`` rows for incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "CHOICES",
    "DISPLAY_FIELDS",
    "NUMBER_PREFIXES",
    "PRIORITY_LOOKUP",
    "PRIORITY_LOOKUP_TABLES",
    "TABLES",
    "TASK_TABLES",
    "choices_for",
    "column_kind",
    "reference_target",
]

# Column kinds: "string", "integer", "boolean", "glide_date_time", "choice", "journal", "sys_id",
# and "reference:<table>".
_SYSTEM: Final = {
    "sys_id": "sys_id",
    "sys_created_on": "glide_date_time",
    "sys_created_by": "string",
    "sys_updated_on": "glide_date_time",
    "sys_updated_by": "string",
    "sys_mod_count": "integer",
    "sys_tags": "string",
}
_TASK: Final = {
    **_SYSTEM,
    "number": "string",
    "short_description": "string",
    "description": "string",
    "state": "choice",
    "impact": "choice",
    "urgency": "choice",
    "priority": "integer",
    "contact_type": "choice",
    "active": "boolean",
    "opened_at": "glide_date_time",
    "opened_by": "reference:sys_user",
    "closed_at": "glide_date_time",
    "closed_by": "reference:sys_user",
    "work_start": "glide_date_time",
    "work_end": "glide_date_time",
    "due_date": "glide_date_time",
    "sla_due": "glide_date_time",
    "assigned_to": "reference:sys_user",
    "assignment_group": "reference:sys_user_group",
    "business_service": "reference:cmdb_ci_service",
    "cmdb_ci": "reference:cmdb_ci",
    "company": "reference:core_company",
    "location": "reference:cmn_location",
    "sys_domain": "reference:sys_user_group",
    "sys_class_name": "choice",
    "reassignment_count": "integer",
    "escalation": "choice",
    "made_sla": "boolean",
    "knowledge": "boolean",
    "close_notes": "string",
    "correlation_id": "string",
    "comments": "journal",
    "work_notes": "journal",
    "comments_and_work_notes": "string",
    "watch_list": "string",
    "work_notes_list": "string",
}
_INCIDENT: Final = {
    **_TASK,
    "caller_id": "reference:sys_user",
    "category": "string",
    "subcategory": "string",
    "hold_reason": "choice",
    "incident_state": "choice",
    "severity": "choice",
    "notify": "choice",
    "close_code": "choice",
    "resolved_at": "glide_date_time",
    "resolved_by": "reference:sys_user",
    "reopened_time": "glide_date_time",
    "reopen_count": "integer",
    "child_incidents": "integer",
    "parent_incident": "reference:incident",
}
_REQUESTED_ITEM: Final = {
    **_TASK,
    "requested_for": "reference:sys_user",
    "cat_item": "reference:sc_cat_item",
    "stage": "choice",
}
_USER: Final = {
    **_SYSTEM,
    "user_name": "string",
    "name": "string",
    "first_name": "string",
    "last_name": "string",
    "email": "string",
    "preferred_language": "choice",
    "time_zone": "choice",
    "vip": "boolean",
    "active": "boolean",
}
_NAMED: Final = {**_SYSTEM, "name": "string"}
_CHOICE: Final = {
    **_SYSTEM,
    "name": "string",
    "element": "string",
    "value": "string",
    "label": "string",
    "language": "string",
    "inactive": "boolean",
    "sequence": "integer",
    "dependent_value": "string",
}
#: Priority Lookup Rules (System Policy > Rules > Priority Lookup Rules).
_PRIORITY_RULE: Final = {
    **_SYSTEM,
    "impact": "choice",
    "urgency": "choice",
    "priority": "integer",
    "active": "boolean",
    "order": "integer",
}
_DICTIONARY: Final = {
    **_SYSTEM,
    "name": "string",
    "element": "string",
    "internal_type": "string",
    "reference": "string",
}
_JOURNAL: Final = {
    **_SYSTEM,
    "element": "string",
    "element_id": "string",
    "name": "string",
    "value": "string",
}

#: table -> column -> kind
TABLES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "incident": MappingProxyType(_INCIDENT),
        "problem": MappingProxyType(_TASK),
        "sc_req_item": MappingProxyType(_REQUESTED_ITEM),
        "sys_user": MappingProxyType(_USER),
        "sys_user_group": MappingProxyType(_NAMED),
        "cmdb_ci_service": MappingProxyType(_NAMED),
        "cmdb_ci": MappingProxyType(_NAMED),
        "core_company": MappingProxyType(_NAMED),
        "cmn_location": MappingProxyType(_NAMED),
        "sc_cat_item": MappingProxyType(_NAMED),
        "sys_journal_field": MappingProxyType(_JOURNAL),
        "sys_choice": MappingProxyType(_CHOICE),
        "dl_u_priority": MappingProxyType(_PRIORITY_RULE),
        "dl_problem_priority": MappingProxyType(_PRIORITY_RULE),
        "sys_dictionary": MappingProxyType(_DICTIONARY),
    }
)
#: The field a reference to the table displays.
DISPLAY_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {"incident": "number", "problem": "number", "sc_req_item": "number", "sys_journal_field": "value"}
)
NUMBER_PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {"incident": "INC", "problem": "PRB", "sc_req_item": "RITM"}
)
_LEVELS: Final = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
#: (table, element) -> value -> label, as the base system's sys_choice rows have them: choices
#: of task fields live on task (tables extending task inherit them) unless the table overrides.
CHOICES: Final[Mapping[tuple[str, str], Mapping[str, str]]] = MappingProxyType(
    {
        # Incident's own state model (Helsinki and later).
        ("incident", "state"): {
            "1": "New",
            "2": "In Progress",
            "3": "On Hold",
            "6": "Resolved",
            "7": "Closed",
            "8": "Canceled",
        },
        # Task's states, which sc_req_item and other task tables without their own use; base
        # system scripts test sc_req_item for stateNOT IN3,4,7 (Closed Complete/Incomplete/Skipped).
        ("task", "state"): {
            "-5": "Pending",
            "1": "Open",
            "2": "Work in Progress",
            "3": "Closed Complete",
            "4": "Closed Incomplete",
            "7": "Closed Skipped",
        },
        ("task", "impact"): _LEVELS,
        ("task", "urgency"): _LEVELS,
        ("task", "priority"): {
            "1": "1 - Critical",
            "2": "2 - High",
            "3": "3 - Moderate",
            "4": "4 - Low",
            "5": "5 - Planning",
        },
        ("incident", "hold_reason"): {
            "1": "Awaiting Caller",
            "3": "Awaiting Problem",
            "4": "Awaiting Vendor",
            "5": "Awaiting Change",
        },
        ("task", "contact_type"): {
            "chat": "Chat",
            "email": "Email",
            "phone": "Phone",
            "self-service": "Self-service",
            "virtual_agent": "Virtual Agent",
            "walk-in": "Walk-in",
        },
        ("sys_user", "preferred_language"): {
            "en": "English",
            "nl": "Dutch",
            "de": "German",
            "fr": "French",
            "pb": "Portuguese (Brazil)",
        },
    }
)
#: Tables that extend task in the emulated instance (they inherit task's choices).
TASK_TABLES: Final = frozenset({"incident", "problem", "sc_req_item"})


def choices_for(table: str, element: str) -> Mapping[str, str]:
    """The choice list of ``table.element`` (inherited from task where the table extends it)."""
    if (table, element) in CHOICES:
        return CHOICES[(table, element)]
    if table in TASK_TABLES and ("task", element) in CHOICES:
        return CHOICES[("task", element)]
    # A dot-walked field (caller_id.preferred_language): the first table that has the element.
    return next((c for (_, name), c in CHOICES.items() if name == element), {})


#: The data lookup table that derives each table's priority from impact and urgency, as the
#: docs describe them (incident: *Define priority lookup rules*; problem: *Data lookup for
#: prioritizing problems*). Other tables derive none out of the box: their priority is as written.
PRIORITY_LOOKUP_TABLES: Final[Mapping[str, str]] = MappingProxyType(
    {"incident": "dl_u_priority", "problem": "dl_problem_priority"}
)
#: The base system's Priority Lookup Rules (dl_u_priority): (impact, urgency) -> priority. The
#: problem table's rules are the same; the incident docs' *sample* table differs in one cell (3 x 3
#: gives 4 - Low), as does the instance behind the UCI incident log: instances customise it.
PRIORITY_LOOKUP: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {(i, u): str(int(i) + int(u) - 1) for i in "123" for u in "123"}
)


def column_kind(table: str, column: str) -> str | None:
    return TABLES.get(table, {}).get(column)


def reference_target(kind: str) -> str | None:
    return kind.partition(":")[2] or None if kind.startswith("reference:") else None
