"""Make ``tickets.csv``: a TOPdesk incident export of a Dutch service desk, about 2,000 tickets.

Seeded, so the committed file is exactly what this script writes (a test checks it):

    python examples/quickstart/generate_tickets.py            # rewrites tickets.csv
    python examples/quickstart/generate_tickets.py --count 100000 --format jsonl --output big.jsonl

The desk, 31 March to 29 June 2025 (13 weeks with Good Friday, Easter Monday, Liberation Day,
Ascension Day and Whit Monday):

* Arrivals: ~27 tickets a weekday (Mondays busier), a few at weekends and on holidays, over e-mail,
  the self-service portal, phone, chat, Twitter/X and Facebook. Phone and chat only while the desk
  is open; e-mail and the portal at any hour; social posts from early morning to midnight.
* Requesters: 80% write in Dutch, 20% in English; subjects in their language; a few VIPs.
* The desk's own classification (TOPdesk's impact, urgency and priority) is what operators chose:
  mostly a sensible matrix, but with the drift real desks have (callers who insist get a higher
  priority, a default priority when in a hurry, a hand-edited target date now and then).
* Pickup and resolution follow the operators' priority, counted on the office calendar (Europe/
  Amsterdam, 08:30-12:30 and 13:00-17:30, Dutch public holidays) or the webcare team's (07:00-23:00,
  every day) for social channels, with log-normal delays and a busy tail: some targets are missed.
* Some tickets wait for the customer (on hold) for a while; the last days' tickets are still open
  at the export (1 July 2025, 08:00).

Columns are TOPdesk's Dutch export titles (the ``topdesk`` preset reads them); times are written
``dd-mm-jjjj uu:mm`` in local time like TOPdesk's CSV export, or ISO 8601 for JSON Lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from matrixcore import load_ruleset

HERE = Path(__file__).resolve().parent
SEED = 20250401
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIRST_DAY = date(2025, 3, 31)
DAYS = 91
EXPORTED_AT = datetime(2025, 7, 1, 8, 0, tzinfo=AMSTERDAM)

COLUMNS = (
    "Incidentnummer",
    "Datum aanmelding",
    "Aanmeldingswijze",
    "Aanmelder",
    "Taal",
    "VIP",
    "Korte omschrijving",
    "Categorie",
    "Aantal getroffen gebruikers",
    "Impact",
    "Urgentie",
    "Prioriteit",
    "Behandelstatus",
    "Datum reactie",
    "Datum gereed",
    "Streefdatum",
    "Duur parkeren",
)

CHANNELS = {  # TOPdesk entry type -> (share on weekdays, share at weekends)
    "E-mail": (0.34, 0.40),
    "Zelfbedieningsportaal": (0.26, 0.25),
    "Telefoon": (0.20, 0.0),
    "Chat": (0.08, 0.0),
    "Twitter": (0.07, 0.22),
    "Facebook": (0.05, 0.13),
}
SOCIAL = frozenset({"Twitter", "Facebook"})
LIVE = frozenset({"Telefoon", "Chat"})

# (category, weight, Dutch subjects, English subjects, kind). Kinds drive what operators choose.
SUBJECTS: list[tuple[str, float, list[str], list[str], str]] = [
    (
        "Storing",
        0.05,
        [
            "Storing: Outlook is plat",
            "Netwerk onbereikbaar op locatie Utrecht",
            "VPN storing, niemand kan erin",
            "Storing telefooncentrale",
            "SharePoint onbereikbaar",
            "Storing: printers op alle verdiepingen",
        ],
        [
            "Outlook is down for our whole office",
            "Network outage at the Rotterdam office",
            "VPN is down",
            "Teams outage, calls drop",
            "ERP system down",
            "Website is down",
        ],
        "outage",
    ),
    (
        "Beveiliging",
        0.04,
        [
            "Phishingmail ontvangen met link",
            "Mogelijk virus op laptop",
            "Account gehackt?",
            "Verdachte mail van 'de directeur'",
            "Datalek: mail naar verkeerde ontvanger",
        ],
        [
            "Received a phishing email",
            "Possible malware on my laptop",
            "I think my account was hacked",
            "Suspicious login alert",
            "Data leak: sent a file to the wrong person",
        ],
        "security",
    ),
    (
        "Account",
        0.10,
        [
            "Kan niet inloggen op mijn werkplek",
            "Account geblokkeerd",
            "Kan niet werken, laptop start niet op",
            "Kan niet inloggen in Teams",
            "MFA-code komt niet binnen",
        ],
        [
            "I can't log in to my workstation",
            "Account blocked after password change",
            "Cannot work: laptop won't boot",
            "Can't log in to Teams",
            "MFA code never arrives",
        ],
        "blocked",
    ),
    (
        "Wachtwoord",
        0.12,
        [
            "Wachtwoord vergeten",
            "Wachtwoord verlopen",
            "Wachtwoord resetten voor nieuwe collega",
        ],
        [
            "Forgot my password",
            "Password expired",
            "Password reset for a new colleague",
        ],
        "password",
    ),
    (
        "Vraag",
        0.17,
        [
            "Vraag: hoe deel ik een agenda?",
            "Hoe koppel ik mijn telefoon aan de mail?",
            "Vraag over thuiswerken en VPN",
            "Hoe vraag ik een parkeerkaart aan?",
            "Vraag: waar vind ik de declaratieapp?",
        ],
        [
            "Question: how do I share a calendar?",
            "How do I set up mail on my phone?",
            "How do I book a meeting room?",
            "Question about the expense app",
            "How do I change my signature?",
        ],
        "question",
    ),
    (
        "Wens",
        0.08,
        [
            "Wens: tweede monitor",
            "Aanvraag software Adobe Acrobat",
            "Nieuwe medewerker: laptop en account",
            "Wens: toegang tot gedeelde map Financiën",
        ],
        [
            "Request: second monitor",
            "Request: Adobe Acrobat licence",
            "New starter: laptop and account",
            "Request access to the Finance share",
        ],
        "wish",
    ),
    (
        "Hardware",
        0.24,
        [
            "Printer op de tweede verdieping geeft een foutmelding",
            "Laptop wordt erg warm",
            "Beeldscherm flikkert",
            "Docking station werkt niet",
            "Headset kraakt tijdens bellen",
            "Toetsenbord mist toetsen",
            "Scanner stuurt geen mail meer",
        ],
        [
            "Printer on the second floor shows an error",
            "Laptop battery drains fast",
            "Screen flickers",
            "Docking station not working",
            "Headset crackles during calls",
            "Keyboard missing keys",
        ],
        "normal",
    ),
    (
        "Software",
        0.20,
        [
            "Excel loopt vast bij openen bestand",
            "Outlook synchroniseert niet",
            "Foutmelding in urenregistratie",
            "Teams geluid valt weg",
            "OneDrive synchroniseert niet",
            "Update van Windows blijft hangen",
        ],
        [
            "Excel freezes when opening a file",
            "Outlook not syncing",
            "Error in the timesheet app",
            "Teams audio drops",
            "OneDrive not syncing",
            "Windows update stuck",
        ],
        "normal",
    ),
]
SOCIAL_SUBJECTS = (
    [
        "@ServicedeskVB jullie site ligt er weer uit",
        "@ServicedeskVB inloggen op het portaal lukt niet",
        "@ServicedeskVB al twee dagen geen reactie op mijn mail",
        "Waarom werkt de app niet?",
    ],
    [
        "@ServicedeskVB your website is down again",
        "@ServicedeskVB can't log in to the portal",
        "@ServicedeskVB no answer to my email for two days",
        "Why does the app keep crashing?",
    ],
)
FIRST_NAMES = [
    "Jan",
    "Sanne",
    "Pieter",
    "Fatima",
    "Daan",
    "Lotte",
    "Mohammed",
    "Eva",
    "Bram",
    "Sophie",
    "Thijs",
    "Noor",
    "Ahmed",
    "Anouk",
    "Ruben",
    "Iris",
    "Kevin",
    "Julia",
    "Lars",
    "Emma",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Yilmaz",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "El Amrani",
    "Dekker",
    "Brouwer",
    "Smith",
]

IMPACTS = ("Organisatie", "Vestiging", "Afdeling", "Groep", "Persoon")  # most severe first
URGENCIES = ("Hoog", "Normaal", "Laag")
PRIORITIES = ("P1 kritiek", "P2 hoog", "P3 normaal", "P4 laag", "P5 planning")
#: The desk's TOPdesk matrix (what operators are meant to pick); rows impact, columns urgency.
DESK_MATRIX = ((0, 0, 1), (0, 1, 2), (1, 2, 2), (1, 2, 3), (2, 3, 4))
#: TOPdesk's own resolution durations per priority ("duur"), in business hours of 8.5-hour days.
DESK_DURATION_HOURS = (4.0, 8.5, 25.5, 42.5, 85.0)
#: Median pickup delay per priority in business minutes, and median work after pickup in hours.
PICKUP_MEDIAN = (6.0, 25.0, 90.0, 200.0, 420.0)
WORK_MEDIAN = (1.2, 3.5, 9.0, 18.0, 30.0)


def _choice(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


def _arrivals(rng: random.Random, scale: float, calendar: Any) -> Iterator[tuple[datetime, str]]:
    """(creation time, entry type) in time order."""
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        office_day = calendar.is_open(datetime(day.year, day.month, day.day, 10, 0, tzinfo=AMSTERDAM))
        rate = (39 if day.weekday() == 0 else 28.5) if office_day else 5
        count = _poisson(rng, rate * scale)
        shares = {name: shares[0 if office_day else 1] for name, shares in CHANNELS.items()}
        moments = []
        for _ in range(count):
            channel = _choice(rng, shares)
            moments.append((_moment(rng, day, channel, office_day), channel))
        yield from sorted(moments)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _moment(rng: random.Random, day: date, channel: str, office_day: bool) -> datetime:
    if channel in LIVE and office_day:  # the desk answers the phone and chat only while open
        minute = rng.choice([rng.randint(510, 750), rng.randint(780, 1049)])
    elif channel in SOCIAL:
        minute = min(1439, max(360, int(rng.gauss(1080 if not office_day else 900, 220))))
    elif office_day and rng.random() < 0.85:
        minute = int(rng.triangular(480, 1050, 570))
    else:
        minute = rng.randint(0, 1439)
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=AMSTERDAM)


def _ticket(rng: random.Random, created: datetime, channel: str) -> dict[str, Any]:
    english = rng.random() < 0.2
    category, _, nl, en, kind = rng.choices(SUBJECTS, [s[1] for s in SUBJECTS])[0]
    subject = rng.choice(en if english else nl)
    if channel in SOCIAL and rng.random() < 0.45:
        subject = rng.choice(SOCIAL_SUBJECTS[english])
        kind = "outage" if "down" in subject or "uit" in subject else "normal"
    affected = 1
    if kind == "outage":
        affected = rng.choice([12, 25, 60, 120, 300])
    elif rng.random() < 0.08:
        affected = rng.randint(3, 9)
    elif rng.random() < 0.03:
        affected = rng.randint(10, 40)
    vip = rng.random() < 0.04
    return {
        "created": created,
        "channel": channel,
        "english": english,
        "category": "Beveiliging" if kind == "security" else category,
        "subject": subject,
        "kind": kind,
        "affected": affected,
        "vip": vip,
        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
    }


def _operator_choice(rng: random.Random, t: dict[str, Any]) -> tuple[int, int, int | None]:
    """Impact, urgency and priority indices as an operator picked them: the desk's matrix, drifting."""
    kind, affected = t["kind"], t["affected"]
    impact = 0 if affected >= 50 else 1 if affected >= 10 else 2 if affected >= 3 else 4
    if kind == "security":
        impact = min(impact, 2)
    urgency = {"outage": 0, "security": 0, "blocked": 0, "question": 2, "wish": 2}.get(kind, 1)
    if t["vip"] and rng.random() < 0.7:
        urgency = 0
    if rng.random() < 0.12:  # a judgement call either way
        impact = min(4, max(0, impact + rng.choice((-1, 1))))
    if rng.random() < 0.10:
        urgency = min(2, max(0, urgency + rng.choice((-1, 1))))
    priority: int | None = DESK_MATRIX[impact][urgency]
    roll = rng.random()
    if t["channel"] in ("Telefoon", "Twitter") and roll < 0.25:
        priority = max(0, (priority or 0) - 1)  # callers and public posts who insist get more
    elif roll > 0.93:
        priority = 2  # "P3 normaal" when in a hurry
    elif roll > 0.915:
        priority = None  # left empty
    return impact, urgency, priority


def _timeline(
    rng: random.Random, t: dict[str, Any], priority: int, office: Any, webcare: Any
) -> dict[str, Any]:
    """When the ticket was picked up, put on hold and resolved, as the desk really worked."""
    created = t["created"]
    calendar = webcare if t["channel"] in SOCIAL else office
    median = PICKUP_MEDIAN[priority]
    if t["channel"] == "Telefoon":
        median = 2.0
    elif t["channel"] == "Chat":
        median = 3.0
    elif t["channel"] == "Twitter":
        median = min(median, 8.0)
    elif t["channel"] == "Facebook":
        median = min(median, 25.0)
    delay = rng.lognormvariate(math.log(median), 0.9)
    if rng.random() < 0.08:
        delay *= rng.uniform(3, 8)  # a busy morning, a colleague ill
    start = created if calendar.is_open(created) or t["channel"] not in LIVE else calendar.next_open(created)
    picked = calendar.add(start, timedelta(minutes=delay))
    work = rng.lognormvariate(math.log(WORK_MEDIAN[priority]), 0.8)
    on_hold = timedelta(0)
    if rng.random() < 0.15:
        on_hold = timedelta(hours=rng.uniform(4, 70))
    resolved = office.add(picked, timedelta(hours=work)) + on_hold
    return {"picked": picked, "resolved": resolved, "on_hold": on_hold}


def _stamp(moment: datetime | None, iso: bool) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(AMSTERDAM)
    return local.isoformat(timespec="minutes") if iso else local.strftime("%d-%m-%Y %H:%M")


def generate(count: int = 2000, *, seed: int = SEED, iso: bool = False) -> Iterator[dict[str, str]]:
    """The export's rows in creation order, about ``count`` of them."""
    rules = load_ruleset(HERE / "rules.yaml")
    office, webcare = rules.calendars["office"], rules.calendars["webcare"]
    rng = random.Random(seed)
    sequence: dict[str, int] = {}
    for created, channel in _arrivals(rng, count / 2000, office):
        t = _ticket(rng, created, channel)
        impact, urgency, priority = _operator_choice(rng, t)
        timeline = _timeline(rng, t, 2 if priority is None else priority, office, webcare)
        target = None
        if priority is not None:
            target = office.add(created, timedelta(hours=DESK_DURATION_HOURS[priority]))
            if rng.random() < 0.07:  # a target date agreed by hand
                target = office.add(target, timedelta(hours=rng.choice((-4, 8, 17, 25.5))))
        picked, resolved = timeline["picked"], timeline["resolved"]
        status = "Afgemeld"
        if picked > EXPORTED_AT:
            picked = resolved = None
            status = "Aangemeld"
        elif resolved > EXPORTED_AT:
            resolved = None
            status = "Wacht op klant" if timeline["on_hold"] else "In behandeling"
        month = created.strftime("%y%m")
        sequence[month] = sequence.get(month, 0) + 1
        yield {
            "Incidentnummer": f"I {month} {sequence[month]:03d}",
            "Datum aanmelding": _stamp(created, iso),
            "Aanmeldingswijze": channel,
            "Aanmelder": t["name"],
            "Taal": "en" if t["english"] else "nl",
            "VIP": "Ja" if t["vip"] else "",
            "Korte omschrijving": t["subject"],
            "Categorie": t["category"],
            "Aantal getroffen gebruikers": str(t["affected"]),
            "Impact": IMPACTS[impact],
            "Urgentie": URGENCIES[urgency],
            "Prioriteit": "" if priority is None else PRIORITIES[priority],
            "Behandelstatus": status,
            "Datum reactie": _stamp(picked, iso),
            "Datum gereed": _stamp(resolved, iso),
            "Streefdatum": _stamp(target, iso),
            "Duur parkeren": str(round(timeline["on_hold"].total_seconds() / 60))
            if timeline["on_hold"]
            else "",
        }


def write(path: Path, count: int, fmt: str, seed: int = SEED) -> int:
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        if fmt == "csv":
            writer = csv.DictWriter(out, COLUMNS, delimiter=";", lineterminator="\n")
            writer.writeheader()
            for row in generate(count, seed=seed):
                writer.writerow(row)
                rows += 1
        else:
            for row in generate(count, seed=seed, iso=True):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows += 1
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="about how many tickets (default 2000)")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--output", type=Path, default=HERE / "tickets.csv")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    rows = write(args.output, args.count, args.format, args.seed)
    print(f"wrote {rows:,} tickets to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
