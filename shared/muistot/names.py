"""Generated usernames in the style of the original name generator: `NokkelaKettu#0421`."""

from __future__ import annotations

import secrets

ADJECTIVES = ("nimetön", "nokkela", "tarkka", "nopea", "älykäs", "söpö", "leppoisa", "rauhallinen", "sisukas",
              "rohkea", "vikkelä", "utelias", "viekas", "veikeä", "mukava", "hassu", "terävä")
NOUNS = ("suunnistaja", "tutkija", "seikkailija", "orava", "kartturi", "kissa", "karhu", "peikko", "koira",
         "insinööri", "kettu", "lintu", "pöllö", "siili", "kala", "varis")


def generate_username() -> str:
    adjective = secrets.choice(ADJECTIVES).capitalize()
    noun = secrets.choice(NOUNS).capitalize()
    return f"{adjective}{noun}#{secrets.randbelow(10_000):04d}"
