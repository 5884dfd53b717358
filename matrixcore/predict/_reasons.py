"""Why a ticket is expected to be late, in the requester's language.

The sentence is built from numbers the desk can check ("14 tickets are ahead of yours; we pick up
about 3 an hour this afternoon"), never from a vague "it is busy". Languages without a phrase book
here get English; a desk that wants other words writes its own template with ``{tickets_ahead}``,
``{pickup_rate}`` and ``{expected_pickup}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Final

__all__ = ["history_reason", "part_of_day", "queue_reason", "rate_text"]

_PARTS: Final[Mapping[str, tuple[str, ...]]] = {
    # night, morning, afternoon, evening; today, then tomorrow; then "in the coming days"
    "en": (
        "tonight", "this morning", "this afternoon", "this evening",
        "tomorrow night", "tomorrow morning", "tomorrow afternoon", "tomorrow evening",
        "in the coming days",
    ),
    "nl": (
        "vannacht", "vanochtend", "vanmiddag", "vanavond",
        "morgennacht", "morgenochtend", "morgenmiddag", "morgenavond",
        "de komende dagen",
    ),
    "de": (
        "heute Nacht", "heute Vormittag", "heute Nachmittag", "heute Abend",
        "morgen Nacht", "morgen Vormittag", "morgen Nachmittag", "morgen Abend",
        "in den nächsten Tagen",
    ),
    "fr": (
        "cette nuit", "ce matin", "cet après-midi", "ce soir",
        "demain dans la nuit", "demain matin", "demain après-midi", "demain soir",
        "dans les prochains jours",
    ),
}  # fmt: skip

_QUEUE: Final[Mapping[str, tuple[str, str, str]]] = {
    # none ahead, one ahead, several ahead
    "en": (
        "no ticket is ahead of yours, but we pick up only about {rate} an hour {part}",
        "1 ticket is ahead of yours; we pick up about {rate} an hour {part}",
        "{ahead} tickets are ahead of yours; we pick up about {rate} an hour {part}",
    ),
    "nl": (
        "er staat geen melding vóór de jouwe, maar we pakken er {part} maar ongeveer {rate} per uur op",
        "er staat 1 melding vóór de jouwe; we pakken er {part} ongeveer {rate} per uur op",
        "er staan {ahead} meldingen vóór de jouwe; we pakken er {part} ongeveer {rate} per uur op",
    ),
    "de": (
        "kein Ticket ist vor Ihrem an der Reihe, aber wir bearbeiten {part} nur etwa {rate} pro Stunde",
        "1 Ticket ist vor Ihrem an der Reihe; wir bearbeiten {part} etwa {rate} pro Stunde",
        "{ahead} Tickets sind vor Ihrem an der Reihe; wir bearbeiten {part} etwa {rate} pro Stunde",
    ),
    "fr": (
        "aucun ticket ne précède le vôtre, mais nous n'en prenons en charge "
        "qu'environ {rate} par heure {part}",
        "1 ticket précède le vôtre ; nous en prenons en charge environ {rate} par heure {part}",
        "{ahead} tickets précèdent le vôtre ; nous en prenons en charge environ {rate} par heure {part}",
    ),
}

_HISTORY: Final[Mapping[str, str]] = {
    "en": "of the tickets like yours that had waited this long, {share} in 10 waited past the promised time",
    "nl": "van de meldingen zoals de jouwe die zo lang wachtten, wachtten er {share} op de 10 "
    "langer dan beloofd",
    "de": "von den Tickets wie Ihrem, die so lange gewartet hatten, warteten {share} von 10 "
    "länger als zugesagt",
    "fr": "parmi les tickets comme le vôtre qui avaient attendu aussi longtemps, {share} sur 10 ont attendu "
    "au-delà du délai promis",
}


def _book(language: str) -> str:
    head = language.lower().replace("_", "-").split("-")[0]
    return head if head in _PARTS else "en"


def part_of_day(moment: datetime, now: datetime, zone: tzinfo, language: str) -> str:
    """ "this afternoon", "tomorrow morning", ... for ``moment`` seen from ``now`` on ``zone``'s clock."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    parts = _PARTS[_book(language)]
    if days > 1:
        return parts[8]
    return parts[min(max(days, 0), 1) * 4 + local.hour // 6]


def rate_text(rate: float, language: str) -> str:
    """A rate people read: whole numbers from 2 on, one decimal below (in the language's notation)."""
    text = f"{rate:.0f}" if rate >= 1.95 else f"{rate:.1f}"
    return text.replace(".", ",") if _book(language) in ("nl", "de", "fr") else text


def queue_reason(ahead: int, rate: float, part: str, language: str) -> str:
    phrases = _QUEUE[_book(language)]
    phrase = phrases[min(ahead, 2)]
    return phrase.format(ahead=ahead, rate=rate_text(rate, language), part=part)


def history_reason(share: float, language: str) -> str:
    return _HISTORY[_book(language)].format(share=max(1, min(10, round(share * 10))))
