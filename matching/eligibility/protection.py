"""What protects a person without a regular status, shown before any job step.

For a person who said they have no valid permit where they live, `protection` gathers
from the knowledge base, in the order they are shown: the cautions that apply to them,
the asylum procedure, the regularisation routes they can take now (open to their
nationality, inside their window, whose prerequisites they meet), and where to get free
help (UNHCR, legal clinics, NGOs, the ombudsman). `describe_protection` puts it in words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..knowledge import Country, Help, KnowledgeBase, Localised, Status
from .facts import Person
from .rules import NOT_A_ROUTE, _open_to, prerequisites_met

__all__ = ["Protection", "asylum_procedure", "protection", "regularisation_routes"]


@dataclass(frozen=True)
class Protection:
    """The protection routes and free help for one person, in the order they are shown."""

    country: str
    status: str                         # the status the person holds (an irregular one)
    cautions: tuple[Localised, ...]     # the held status's (each route carries its own)
    asylum: Status | None               # the claim procedure, where it applies
    routes: tuple[Status, ...]          # regularisation routes open to them now
    help: tuple[Help, ...]


def regularisation_routes(country: Country, held: Status, nationalities, today: dt.date | None) -> tuple[Status, ...]:
    """Statuses that give a regular stay and that a person holding `held` can apply for from
    inside (work or not: a stay comes first), quickest-closing window first.

    Args:
        country: where the person lives.
        held: the status they hold there.
        nationalities: theirs.
        today: the day whose open windows count; None: any status not closed for good,
            whatever its window says (docs/mobility.md lists the windows beside them).

    Returns:
        The statuses.
    """
    def open_now(s: Status) -> bool:
        return s.obtain != "closed" if today is None else s.open_on(today)

    found = [s for s in country.statuses if s.kind not in NOT_A_ROUTE and s.route and open_now(s)
             and _open_to(s, nationalities) and prerequisites_met(s, held, inside=True)]
    return tuple(sorted(found, key=lambda s: (s.closes or dt.date.max, "*" in s.holders, s.needs_offer)))


def asylum_procedure(country: Country, nationalities) -> Status | None:
    """The country's asylum claim (its status of kind "asylum" that says how), where it is
    open to these nationalities."""
    return next((s for s in country.statuses if s.kind == "asylum" and s.how is not None and s.obtain != "closed"
                 and _open_to(s, nationalities)), None)


def protection(kb: KnowledgeBase | None, person: Person, today: dt.date | None = None) -> Protection | None:
    """Gather what protects a person who has no regular status where they live.

    Args:
        kb: the knowledge base.
        person: the person (their country of residence, status there, nationalities).
        today: the day whose open windows count (default: today).

    Returns:
        The `Protection`, or None when the person did not say they lack a regular status,
        or Puente does not know the rules of the country where they live.
    """
    c = kb.country(person.current_country) if kb is not None else None
    held = c.status(person.status) if c is not None and "host" in c.roles else None
    if held is None or held.kind != "irregular":
        return None
    day = today or dt.date.today()
    nationalities = person.nationalities
    asylum = asylum_procedure(c, nationalities)
    found = regularisation_routes(c, held, nationalities, day)
    cautions = (held.caution,) if held.caution is not None else ()
    return Protection(c.code, held.code, cautions, asylum, found, tuple(c.help))
