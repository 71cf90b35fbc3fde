"""Steps and reasons in words: `describe_step` and `describe_reason` turn the codes a
verdict holds into sentences in the reader's language, with the knowledge base's names.

The sentences are written in Spanish and translated from the core's catalogues (see
`matching.i18n`); what differs per country (a permit's name, how to get it, a procedure)
is the knowledge base's data, already in three languages.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..explain import country_name, language_name
from ..i18n import N_, supported_locale, translate
from ..knowledge import Country, KnowledgeBase
from .facts import Step

__all__ = ["describe_reason", "describe_step", "describe_steps"]

_STEP_TEXT = {
    "status": N_("Obtener un permiso para trabajar en {country}: {label}. {how}"),
    "check_status": N_("Confirme que tiene un permiso para trabajar en {country}. Si no lo tiene: {label}. {how}"),
    "generic_permit": N_("Obtener un permiso de trabajo en {country}."),
    "generic_recognition": N_("Hacer reconocer su título en {country}: pregunte a la autoridad qué trámite "
                              "corresponde a su nivel de estudios."),
    "generic_licence": N_("Obtener la habilitación profesional en {country}."),
    "generic_language": N_("Aprender el idioma del empleo."),
    "recognition": N_("Hacer reconocer su título en {country}. {procedure}"),
    # TRANSLATORS: {label} names the profession, {licence} says what its licence takes.
    "regulated": N_("Habilitación profesional ({label}): {licence}"),
    # TRANSLATORS: {language} is the language's name, in lower case in Spanish and Portuguese.
    "language": N_("Aprender {language} (nivel intermedio o más)."),
}

_REASON_TEXT = {
    "national": N_("Tiene la nacionalidad de {country}."),
    # TRANSLATORS: {status} is the name of a residence status, such as "Permiso por Protección Temporal".
    "status_authorises_work": N_("Su situación («{status}») le permite trabajar en {country}."),
    "status_does_not_authorise_work": N_("Con su situación actual («{status}») no puede trabajar formalmente en "
                                         "{country}."),
    "status_not_given": N_("No indicó su situación migratoria en {country}."),
    "moving": N_("El empleo está en otro país ({to}): su permiso actual no vale allí."),
    "no_route": N_("Puente no conoce una vía abierta para que pueda trabajar en {country}; consulte a ACNUR, OIM o "
                   "una organización de apoyo."),
    "reserved_for_nationals": N_("En {country} esta ocupación está reservada a nacionales."),
    "regulated": N_("En {country} es una profesión regulada: exige título reconocido y habilitación."),
    # TRANSLATORS: {required} is an education level, such as "grado universitario".
    "below_required_level": N_("Esta profesión exige un título de nivel {required}."),
    "foreign_degree": N_("Su título es de {issued_in} y aún no está reconocido en {country}."),
    "education_country_not_given": N_("No indicó en qué país obtuvo su título."),
    "overqualified": N_("Su formación supera lo que pide este empleo: con su título reconocido puede optar a empleos "
                        "calificados."),
    "country_not_covered": N_("Puente aún no tiene las normas de {country}."),
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


def _step_text(kb: KnowledgeBase | None, step: Step, rule, locale: str) -> str:
    head, _, code = step.rule.partition(":")
    country = _country_name(kb, step.country, locale)
    if head in ("status", "check_status") and rule is not None:
        return translate(_STEP_TEXT[head], locale).format(
            country=country, label=rule.label.get(locale), how=rule.how.get(locale) if rule.how else "").strip()
    if head == "recognition" and rule is not None and code != "other":
        return translate(_STEP_TEXT["recognition"], locale).format(
            country=country, procedure=rule.procedure.get(locale)).strip()
    if head == "regulated" and rule is not None:
        return translate(_STEP_TEXT["regulated"], locale).format(label=rule.label.get(locale),
                                                                 licence=rule.licence.get(locale))
    if head == "language":
        return translate(_STEP_TEXT["language"], locale).format(language=language_name(code, locale))
    # A generic rule, or one the knowledge base no longer has: say what kind of step it is.
    return translate(_STEP_TEXT[f"generic_{step.kind}"], locale).format(country=country)


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
            values[key] = _country_name(kb, values[key], locale)
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
