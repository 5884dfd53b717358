"""What a fresh emulated TOPdesk holds: search lists, priorities with durations, its own matrix.

Modelled on a Dutch service desk's usual set-up (TOPdesk's home ground): five impacts, three
urgencies, five priorities with a duration each, and a priority matrix that agrees with the
quick-start rules, so an end-to-end run starts from a consistent desk. Tests change any of it.
Ids are fixed UUIDs so failures read the same every run.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

__all__ = [
    "DEFAULT_DURATIONS",
    "DEFAULT_ENTRY_TYPES",
    "DEFAULT_IMPACTS",
    "DEFAULT_MATRIX",
    "DEFAULT_PRIORITIES",
    "DEFAULT_STATUSES",
    "DEFAULT_URGENCIES",
    "fixed_id",
]


def fixed_id(kind: str, name: str) -> str:
    """A stable UUID for a catalogue entry (uuid5 of its kind and name)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"topdesk-emulator:{kind}:{name}"))


def _items(kind: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"id": fixed_id(kind, n), "name": n} for n in names]


DEFAULT_IMPACTS: Final = _items("impact", ("Organisatie", "Vestiging", "Afdeling", "Groep", "Persoon"))
DEFAULT_URGENCIES: Final = _items("urgency", ("Hoog", "Normaal", "Laag"))
DEFAULT_ENTRY_TYPES: Final = _items(
    "entryType", ("E-mail", "Telefoon", "Self-Service Portal", "Chat", "Twitter", "Facebook", "Automation")
)

#: name, basicPeriods, timeSpanType.
DEFAULT_DURATIONS: Final = [
    {
        "id": fixed_id("duration", name),
        "name": name,
        "basicPeriods": periods,
        "timeSpanType": unit,
        "inFirstLine": True,
        "inSecondLine": True,
    }
    for name, periods, unit in (
        ("4 uur", 4, "hours"),
        ("8 uur", 8, "hours"),
        ("3 werkdagen", 3, "days"),
        ("5 werkdagen", 5, "days"),
        ("10 werkdagen", 10, "days"),
    )
]

#: priority name -> duration name (first and second line alike).
_PRIORITY_DURATIONS: Final = {
    "P1 Kritiek": "4 uur",
    "P2 Hoog": "8 uur",
    "P3 Normaal": "3 werkdagen",
    "P4 Laag": "5 werkdagen",
    "P5 Planning": "10 werkdagen",
}
DEFAULT_PRIORITIES: Final = [
    {
        "id": fixed_id("priority", name),
        "name": name,
        "firstLineDuration": {"id": fixed_id("duration", duration), "name": duration},
        "secondLineDuration": {"id": fixed_id("duration", duration), "name": duration},
    }
    for name, duration in _PRIORITY_DURATIONS.items()
]

#: TOPdesk's own matrix: (impact name, urgency name) -> priority name.
DEFAULT_MATRIX: Final = {
    ("Organisatie", "Hoog"): "P1 Kritiek",
    ("Organisatie", "Normaal"): "P1 Kritiek",
    ("Organisatie", "Laag"): "P2 Hoog",
    ("Vestiging", "Hoog"): "P1 Kritiek",
    ("Vestiging", "Normaal"): "P2 Hoog",
    ("Vestiging", "Laag"): "P3 Normaal",
    ("Afdeling", "Hoog"): "P2 Hoog",
    ("Afdeling", "Normaal"): "P3 Normaal",
    ("Afdeling", "Laag"): "P3 Normaal",
    ("Groep", "Hoog"): "P2 Hoog",
    ("Groep", "Normaal"): "P3 Normaal",
    ("Groep", "Laag"): "P4 Laag",
    ("Persoon", "Hoog"): "P3 Normaal",
    ("Persoon", "Normaal"): "P4 Laag",
    ("Persoon", "Laag"): "P5 Planning",
}

#: Processing statuses with the ``onHold`` flag TOPdesk's status list carries.
DEFAULT_STATUSES: Final = [
    {
        "id": fixed_id("status", name),
        "name": name,
        "onHold": on_hold,
        "processingState": state,
        "response": "",
        "default": name == "Aangemeld",
    }
    for name, on_hold, state in (
        ("Aangemeld", "false", "open"),
        ("In behandeling", "false", "open"),
        ("Wacht op klant", "true", "open"),
        ("Gereed", "false", "completed"),
        ("Afgemeld", "false", "closed"),
    )
]
