"""Steps and reasons in words: `describe_step` and `describe_reason` turn the codes a
verdict holds into sentences in the reader's language, with the knowledge base's names.

The sentences are written in Spanish and translated from the core's catalogues (see
`matching.i18n`); what differs per country (a permit's name, how to get it, a procedure)
is the knowledge base's data, already in three languages.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from ..explain import PREPOSITIONS, country_name, country_phrase, language_name
from ..i18n import N_, supported_locale, translate
from ..knowledge import Country, KnowledgeBase, Status
from .facts import Step
from .protection import Protection

__all__ = ["describe_left_out", "describe_protection", "describe_reason", "describe_step", "describe_steps"]

_STEP_TEXT = {
    "status": N_("Obtener un permiso para trabajar {country_in}: {label}. {how}"),
    "check_status": N_("Confirme que tiene un permiso para trabajar {country_in}. Si no lo tiene: {label}. {how}"),
    "check_protection": N_("Confirme que tiene un permiso para trabajar {country_in}. Si no lo tiene, no vaya a "
                           "la autoridad migratoria sin consejo: pida ayuda gratuita a ACNUR o a una clínica "
                           "jurídica."),
    # A step stored with a ranking whose route has closed since: it is never shown as open.
    "route_closed": N_("La vía «{label}» ya no recibe solicitudes {country_in}. Antes de cualquier trámite, pida "
                       "consejo gratuito a ACNUR o a una clínica jurídica."),
    "protection": N_("Antes de buscar empleo {country_in}, regularice su situación por una vía segura: vea «Lo "
                     "primero: su protección» al comienzo de su página, con el refugio y dónde recibir ayuda "
                     "gratuita."),
    "generic_permit": N_("Obtener un permiso de trabajo {country_in}."),
    "generic_recognition": N_("Hacer reconocer su título {country_in}: pregunte a la autoridad qué trámite "
                              "corresponde a su nivel de estudios."),
    "generic_licence": N_("Obtener la habilitación profesional {country_in}."),
    "generic_language": N_("Aprender el idioma del empleo."),
    "recognition": N_("Hacer reconocer su título {country_in}. {procedure}"),
    # TRANSLATORS: {label} names the profession, {licence} says what its licence takes.
    "regulated": N_("Habilitación profesional ({label}): {licence}"),
    # TRANSLATORS: {language} is the language's name, in lower case in Spanish and Portuguese.
    "language": N_("Aprender {language} (nivel intermedio o más)."),
}

_REASON_TEXT = {
    "national": N_("Tiene la nacionalidad {country_of}."),
    # TRANSLATORS: {status} is the name of a residence status, such as "Permiso por Protección Temporal".
    "status_authorises_work": N_("Su situación («{status}») le permite trabajar {country_in}."),
    "status_does_not_authorise_work": N_("Con su situación actual («{status}») no puede trabajar formalmente "
                                         "{country_in}."),
    "status_not_given": N_("No indicó su situación migratoria {country_in}."),
    "moving": N_("El empleo está en otro país ({to}): su permiso actual no vale allí."),
    "no_route": N_("Puente no conoce una vía abierta para que pueda trabajar {country_in}; consulte a ACNUR, OIM o "
                   "una organización de apoyo."),
    "reserved_for_nationals": N_("Esta ocupación está reservada a nacionales {country_in}."),
    "regulated": N_("Es una profesión regulada {country_in}: exige título reconocido y habilitación."),
    # TRANSLATORS: {required} is an education level, such as "grado universitario".
    "below_required_level": N_("Esta profesión exige {country_in} un título de nivel {required}."),
    "foreign_degree": N_("Su título es {issued_in_from} y aún no está reconocido {country_in}."),
    "education_country_not_given": N_("No indicó en qué país obtuvo su título."),
    "overqualified": N_("Su formación supera lo que pide este empleo: con su título reconocido puede optar a empleos "
                        "calificados."),
    "country_not_covered": N_("Puente aún no tiene las normas {country_of}."),
}

# What would open the jobs a blocking reason keeps off a person's list, where something would.
_LEFT_OUT_HINT = {
    "below_required_level": N_("Si tiene un título de ese nivel, agréguelo a su perfil y estos empleos volverán a "
                               "su lista."),
    "no_route": N_("Una organización de ayuda gratuita puede revisar si hay otra vía para usted."),
}

# The levels a regulated profession can ask for, as they read in "a degree at level ...".
_LEVEL_TEXT = {
    # TRANSLATORS: an education level, mid-sentence: "a degree at level ...".
    "post_secondary": N_("postsecundario"),
    # TRANSLATORS: an education level, mid-sentence: "a degree at level ...".
    "short_cycle": N_("técnico superior"),
    # TRANSLATORS: an education level, mid-sentence: "a degree at level ...".
    "bachelor": N_("grado universitario"),
    # TRANSLATORS: an education level, mid-sentence: "a degree at level ...".
    "master": N_("posgrado"),
    # TRANSLATORS: an education level, mid-sentence: "a degree at level ...".
    "doctorate": N_("doctorado"),
}


def _country_name(kb: KnowledgeBase | None, code: str | None, locale: str) -> str:
    """The knowledge base's name for a country it holds, else CLDR's."""
    c = kb.country(code) if kb is not None and code else None
    if c is not None:
        return c.names.get(locale)
    return country_name(code or "", locale)


def _rule(c: Country | None, head: str, code: str):
    """The knowledge base's rule a step refers to, or None (a generic step, or a rule it no longer has)."""
    if c is None:
        return None
    if head in ("status", "check_status"):
        return c.status(code)
    if head == "recognition":
        return c.recognition
    if head == "regulated":
        group, _, first = code.partition(":")
        return next((r for r in c.regulated if r.group == group and (not first or r.isco[0] == first)), None)
    return None


def _phrases(kb: KnowledgeBase | None, key: str, code: str | None, locale: str) -> dict:
    """A country's name and its "in/of/from" phrases, as `key`, `key_in`, `key_of`, `key_from`."""
    name = _country_name(kb, code, locale)
    return {key: name, **{f"{key}_{p}": country_phrase(code or "", locale, p, name) for p in PREPOSITIONS}}


def _step_text(kb: KnowledgeBase | None, step: Step, rule, locale: str) -> str:
    head, _, code = step.rule.partition(":")
    where = _phrases(kb, "country", step.country, locale)
    if head in ("status", "check_status") and rule is not None and not rule.open_on(dt.date.today()):
        return translate(_STEP_TEXT["route_closed"], locale).format(**where, label=rule.label.get(locale))
    if head in ("status", "check_status") and rule is not None:
        return translate(_STEP_TEXT[head], locale).format(
            **where, label=rule.label.get(locale), how=rule.how.get(locale) if rule.how else "").strip()
    if head == "recognition" and rule is not None and code != "other":
        return translate(_STEP_TEXT["recognition"], locale).format(
            **where, procedure=rule.procedure.get(locale)).strip()
    if head == "regulated" and rule is not None:
        return translate(_STEP_TEXT["regulated"], locale).format(label=rule.label.get(locale),
                                                                 licence=rule.licence.get(locale))
    if head == "language":
        return translate(_STEP_TEXT["language"], locale).format(language=language_name(code, locale))
    if head in ("protection", "check_protection"):
        return translate(_STEP_TEXT[head], locale).format(**where)
    # A generic rule, or one the knowledge base no longer has: say what kind of step it is.
    return translate(_STEP_TEXT[f"generic_{step.kind}"], locale).format(**where)


def describe_step(kb: KnowledgeBase | None, step: Step | Mapping, locale: str = "es") -> dict:
    """Describe a step in the reader's language.

    Args:
        kb: the knowledge base the step refers to (None: generic texts).
        step: a `Step`, or one as stored with a match.
        locale: the reader's language (Spanish when Puente does not speak it).

    Returns:
        {"kind", "text"} with "authority", "url", "months" when known, and "uncertain"
        when the knowledge base says part of the rule is not certain.
    """
    step = step if isinstance(step, Step) else Step.from_dict(step)
    locale = supported_locale(locale)
    head, _, code = step.rule.partition(":")
    rule = _rule(kb.country(step.country) if kb is not None else None, head, code)
    out = {"kind": step.kind, "text": _step_text(kb, step, rule, locale)}
    if rule is not None and getattr(rule, "uncertain", None):
        out["uncertain"] = True
    if isinstance(rule, Status) and rule.caution is not None:
        out["caution"] = rule.caution.get(locale)
    details = {"authority": step.authority, "url": step.url}
    out.update({k: v for k, v in details.items() if v})
    if step.months is not None:
        out["months"] = step.months
    return out


def describe_steps(kb: KnowledgeBase | None, steps: Sequence[Step | Mapping], locale: str = "es") -> list[dict]:
    """Describe every step (steps stored by an older version, without a rule, are skipped).

    Args:
        kb: the knowledge base the steps refer to (None: generic texts).
        steps: `Step`s, or steps as stored with a match.
        locale: the reader's language.

    Returns:
        One `describe_step` dict per step that has a kind and a rule, in order.
    """
    return [describe_step(kb, s, locale) for s in steps
            if isinstance(s, Step) or (isinstance(s, Mapping) and s.get("rule") and s.get("kind"))]


def _reason_values(kb: KnowledgeBase | None, reason: Mapping, locale: str) -> dict:
    """The reason's fields as they read: names for country codes, status codes and levels."""
    values = dict(reason)
    for key in ("country", "to", "from", "issued_in"):
        if values.get(key):
            values.update(_phrases(kb, key, values[key], locale))
    if values.get("status"):
        c = kb.country(reason.get("country")) if kb is not None else None
        s = c.status(values["status"]) if c is not None else None
        values["status"] = s.label.get(locale) if s is not None else values["status"]
    if values.get("required") in _LEVEL_TEXT:
        values["required"] = translate(_LEVEL_TEXT[values["required"]], locale)
    return values


def describe_reason(kb: KnowledgeBase | None, reason: Mapping, locale: str = "es") -> dict:
    """Describe a reason in the reader's language.

    Args:
        kb: the knowledge base the reason refers to (None: generic names).
        reason: a reason as `assess` gives it ({"code", ...}).
        locale: the reader's language (Spanish when Puente does not speak it).

    Returns:
        {"code", "text"}; the text is the code itself for a code Puente does not know.
    """
    locale = supported_locale(locale)
    template = _REASON_TEXT.get(reason.get("code", ""))
    if template is None:
        return {"code": reason.get("code"), "text": reason.get("code", "")}
    template = translate(template, locale)
    try:
        text = template.format(**_reason_values(kb, reason, locale))
    except KeyError:
        text = template
    return {"code": reason["code"], "text": text}


def _route(status: Status, locale: str) -> dict:
    out = {"code": status.code, "label": status.label.get(locale), "how": status.how.get(locale) if status.how else "",
           "authority": status.authority, "url": status.url, "closes": status.closes.isoformat() if status.closes else None,
           "authorises_work": status.authorises_work, "uncertain": bool(status.uncertain),
           "caution": status.caution.get(locale) if status.caution else None}
    return {k: v for k, v in out.items() if v is not None}


def describe_protection(kb: KnowledgeBase | None, found: Protection, locale: str = "es") -> dict:
    """Put a person's protection routes and free help in words.

    Args:
        kb: the knowledge base they come from.
        found: what `protection` gathered.
        locale: the reader's language.

    Returns:
        {"country", "country_name", "status", "cautions": [text], "asylum": route or None,
        "routes": [route], "help": [{"name", "kind", "what", "url", "places", "phone"}]},
        a route being {"code", "label", "how", "authority", "url", "closes" (ISO date),
        "authorises_work", "uncertain", "caution"}.
    """
    locale = supported_locale(locale)
    helpers = [{k: v for k, v in {"name": h.name, "kind": h.kind, "what": h.what.get(locale), "url": h.url,
                                  "places": h.places, "phone": h.phone}.items() if v is not None} for h in found.help]
    return {"country": found.country, "country_name": _country_name(kb, found.country, locale),
            "status": found.status, "cautions": [c.get(locale) for c in found.cautions],
            "asylum": _route(found.asylum, locale) if found.asylum is not None else None,
            "routes": [_route(s, locale) for s in found.routes], "help": helpers}


def describe_left_out(kb: KnowledgeBase | None, group: Mapping, locale: str = "es") -> dict:
    """Say why a group of jobs was left off a person's list, and what would open them.

    Args:
        kb: the knowledge base.
        group: one of `group_left_out`'s groups ({"code", "country", "count", ...}).
        locale: the reader's language.

    Returns:
        {"code", "country", "count", "text"} and "hint" where a step would open them.
    """
    locale = supported_locale(locale)
    out = {"code": group["code"], "country": group.get("country"), "count": group["count"],
           "text": describe_reason(kb, group, locale)["text"]}
    if group["code"] in _LEFT_OUT_HINT:
        out["hint"] = translate(_LEFT_OUT_HINT[group["code"]], locale)
    return out
