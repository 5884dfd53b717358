"""The quick-start desk a sandbox plays: the tickets it starts with and the ones that keep arriving.

The same kinds of ticket as the quick-start sample (``examples/quickstart/tickets.csv``): a Dutch
service desk's e-mail, portal, phone, chat, Twitter/X and Facebook tickets, mostly in Dutch, some in
English, German and French, one outage, a VIP, a password reset, questions. Each one exercises a rule
of ``examples/quickstart/rules.yaml``.
"""

from __future__ import annotations

from typing import Final

from ._spec import SandboxTicket

__all__ = ["ARRIVALS", "SEED"]

#: Filed before the sandbox opens: a morning's queue, the oldest first.
SEED: Final = (
    SandboxTicket(
        "Printer op de tweede verdieping geeft een foutmelding",
        "portal",
        "Cor Visser",
        "nl",
        "cor.visser@example.nl",
        minutes_ago=95,
    ),
    SandboxTicket(
        "Wachtwoord vergeten", "email", "Bram de Jong", "nl", "bram@example.nl", "Wachtwoord", minutes_ago=80
    ),
    SandboxTicket(
        "Vraag: hoe deel ik een agenda?", "email", "Anna Bakker", "nl", "anna@example.nl", minutes_ago=60
    ),
    SandboxTicket(
        "Cannot log in to the expenses portal",
        "chat",
        "Emma Clarke",
        "en",
        "emma@example.co.uk",
        minutes_ago=40,
    ),
    SandboxTicket(
        "Ik kan niet inloggen", "phone", "Directeur", "nl", "directie@example.nl", vip=True, minutes_ago=25
    ),
    SandboxTicket(
        "Drucker im Lager druckt nicht", "email", "Jonas Weber", "de", "j.weber@example.de", minutes_ago=20
    ),
    SandboxTicket(
        "Outlook is down for our whole office",
        "twitter",
        "@sanne_dv",
        "en",
        affected_users=80,
        minutes_ago=6,
    ),
    SandboxTicket(
        "Question : comment partager un dossier ?",
        "facebook",
        "Camille Martin",
        "fr",
        "camille@example.fr",
        minutes_ago=3,
    ),
)

#: Filed one by one while the sandbox runs, round and round.
ARRIVALS: Final = (
    SandboxTicket("VPN valt steeds weg", "email", "Piet Bakker", "nl", "piet@example.nl"),
    SandboxTicket(
        "Storing: netwerk op de derde verdieping", "phone", "Fatima El Amrani", "nl", affected_users=30
    ),
    SandboxTicket("Hoe vraag ik een tweede scherm aan?", "portal", "Lotte Smit", "nl", "lotte@example.nl"),
    SandboxTicket("Teams keeps crashing during calls", "chat", "Oliver Brown", "en", "oliver@example.com"),
    SandboxTicket(
        "Phishing-mail ontvangen met een rare link", "email", "Mark Jansen", "nl", "mark@example.nl"
    ),
    SandboxTicket("Kennwort abgelaufen", "email", "Lena Schmidt", "de", "lena@example.de", "Wachtwoord"),
    SandboxTicket("Wifi werkt niet in de kantine", "twitter", "@joost_w", "nl"),
    SandboxTicket("Écran noir après la mise à jour", "portal", "Louis Dubois", "fr", "louis@example.fr"),
    SandboxTicket("Nieuwe collega heeft nog geen account", "email", "HR", "nl", "hr@example.nl"),
    SandboxTicket("Facturatiesysteem geeft foutmelding", "facebook", "Sophie Mulder", "nl"),
)
