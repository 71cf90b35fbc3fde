"""Steps and reasons in words: `describe_step` and `describe_reason` turn the codes a
verdict holds into sentences in the reader's language, with the knowledge base's names."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..explain import country_name, language_name
from .facts import Step

__all__ = ["describe_reason", "describe_step", "describe_steps"]
# --- Text ------------------------------------------------------------------------------

_STEP_TEXT = {
    "status": {"es": "Obtener un permiso para trabajar en {country}: {label}. {how}",
               "pt": "Obter uma autorização para trabalhar em {country}: {label}. {how}",
               "en": "Get a permit to work in {country}: {label}. {how}"},
    "check_status": {"es": "Confirme que tiene un permiso para trabajar en {country}. Si no lo tiene: {label}. {how}",
                     "pt": "Confirme que você tem autorização para trabalhar em {country}. Se não tiver: {label}. {how}",
                     "en": "Make sure you hold a permit to work in {country}. If you do not: {label}. {how}"},
    "generic_permit": {"es": "Obtener un permiso de trabajo en {country}.",
                       "pt": "Obter uma autorização de trabalho em {country}.",
                       "en": "Get a work permit in {country}."},
    "generic_recognition": {"es": "Hacer reconocer su título en {country}: pregunte a la autoridad qué trámite corresponde a su nivel de estudios.",
                            "pt": "Reconhecer o seu diploma em {country}: pergunte à autoridade qual trâmite corresponde ao seu nível de estudos.",
                            "en": "Have your degree recognised in {country}: ask the authority which procedure fits your level of education."},
    "generic_licence": {"es": "Obtener la habilitación profesional en {country}.",
                        "pt": "Obter o registro profissional em {country}.",
                        "en": "Obtain the professional licence in {country}."},
    "generic_language": {"es": "Aprender el idioma del empleo.", "pt": "Aprender o idioma da vaga.",
                         "en": "Learn the language of the job."},
    "recognition": {"es": "Hacer reconocer su título en {country}. {procedure}",
                    "pt": "Reconhecer o seu diploma em {country}. {procedure}",
                    "en": "Have your degree recognised in {country}. {procedure}"},
    "regulated": {"es": "Habilitación profesional ({label}): {licence}",
                  "pt": "Habilitação profissional ({label}): {licence}",
                  "en": "Professional licence ({label}): {licence}"},
    "language": {"es": "Aprender {language} (nivel intermedio o más).",
                 "pt": "Aprender {language} (nível intermediário ou mais).",
                 "en": "Learn {language} (intermediate level or better)."},
}

_REASON_TEXT = {
    "national": {"es": "Tiene la nacionalidad de {country}.", "pt": "Tem a nacionalidade de {country}.",
                 "en": "You are a national of {country}."},
    "status_authorises_work": {"es": "Su situación («{status}») le permite trabajar en {country}.",
                               "pt": "A sua situação («{status}») permite trabalhar em {country}.",
                               "en": "Your status (“{status}”) lets you work in {country}."},
    "status_does_not_authorise_work": {"es": "Con su situación actual («{status}») no puede trabajar formalmente en {country}.",
                                       "pt": "Com a sua situação atual («{status}») você não pode trabalhar formalmente em {country}.",
                                       "en": "With your current status (“{status}”) you cannot work formally in {country}."},
    "status_not_given": {"es": "No indicó su situación migratoria en {country}.",
                         "pt": "Você não informou sua situação migratória em {country}.",
                         "en": "You did not give your residence status in {country}."},
    "moving": {"es": "El empleo está en otro país ({to}): su permiso actual no vale allí.",
               "pt": "A vaga é em outro país ({to}): sua autorização atual não vale lá.",
               "en": "The job is in another country ({to}): your current permit does not apply there."},
    "no_route": {"es": "Puente no conoce una vía abierta para que pueda trabajar en {country}; consulte a ACNUR, OIM o una organización de apoyo.",
                 "pt": "O Puente não conhece uma via aberta para você trabalhar em {country}; consulte o ACNUR, a OIM ou uma organização de apoio.",
                 "en": "Puente knows no open route for you to work in {country}; ask UNHCR, IOM or a support organisation."},
    "reserved_for_nationals": {"es": "En {country} esta ocupación está reservada a nacionales.",
                               "pt": "Em {country} esta ocupação é reservada a nacionais.",
                               "en": "In {country} this occupation is reserved for nationals."},
    "regulated": {"es": "En {country} es una profesión regulada: exige título reconocido y habilitación.",
                  "pt": "Em {country} é uma profissão regulamentada: exige diploma reconhecido e registro.",
                  "en": "In {country} this is a regulated profession: it needs a recognised degree and a licence."},
    "below_required_level": {"es": "Esta profesión exige un título de nivel {required}.",
                             "pt": "Esta profissão exige um diploma de nível {required}.",
                             "en": "This profession needs a degree at level {required}."},
    "foreign_degree": {"es": "Su título es de {issued_in} y aún no está reconocido en {country}.",
                       "pt": "Seu diploma é de {issued_in} e ainda não está reconhecido em {country}.",
                       "en": "Your degree is from {issued_in} and not yet recognised in {country}."},
    "education_country_not_given": {"es": "No indicó en qué país obtuvo su título.",
                                    "pt": "Você não informou em que país obteve seu diploma.",
                                    "en": "You did not say which country issued your degree."},
    "overqualified": {"es": "Su formación supera lo que pide este empleo: con su título reconocido puede optar a empleos calificados.",
                      "pt": "Sua formação supera o que esta vaga pede: com o diploma reconhecido você pode buscar vagas qualificadas.",
                      "en": "Your education exceeds what this job asks: with your degree recognised, skilled jobs open to you."},
    "country_not_covered": {"es": "Puente aún no tiene las normas de {country}.",
                            "pt": "O Puente ainda não tem as regras de {country}.",
                            "en": "Puente does not have the rules of {country} yet."},
}

_LEVEL_TEXT = {
    "short_cycle": {"es": "técnico superior", "pt": "técnico superior", "en": "short-cycle tertiary"},
    "bachelor": {"es": "grado universitario", "pt": "graduação", "en": "bachelor's"},
    "master": {"es": "posgrado", "pt": "pós-graduação", "en": "master's"},
    "doctorate": {"es": "doctorado", "pt": "doutorado", "en": "doctorate"},
}


def _loc(locale: str) -> str:
    return locale if locale in ("es", "pt", "en") else "es"


def _country_name(kb, code: str | None, locale: str) -> str:
    c = kb.country(code) if kb is not None and code else None
    if c is not None:
        return c.names.get(locale)
    return country_name(code or "", locale)


def describe_step(kb, step: Step | Mapping, locale: str = "es") -> dict:
    """Return {"kind", "text", "authority", "url", "months"?, "uncertain"?} for a step, in `locale`."""
    step = step if isinstance(step, Step) else Step.from_dict(step)
    loc = _loc(locale)
    c = kb.country(step.country) if kb is not None else None
    country = _country_name(kb, step.country, loc)
    head, _, code = step.rule.partition(":")
    rule = _rule(c, head, code)
    if head in ("status", "check_status") and rule is not None:
        text = _STEP_TEXT[head][loc].format(country=country, label=rule.label.get(loc),
                                            how=rule.how.get(loc) if rule.how else "").strip()
    elif head == "recognition" and rule is not None and code != "other":
        text = _STEP_TEXT["recognition"][loc].format(country=country, procedure=rule.procedure.get(loc)).strip()
    elif head == "regulated" and rule is not None:
        text = _STEP_TEXT["regulated"][loc].format(label=rule.label.get(loc), licence=rule.licence.get(loc))
    elif head == "language":
        text = _STEP_TEXT["language"][loc].format(language=language_name(code, loc))
    else:  # a generic rule, or one the knowledge base no longer has: say what kind of step it is
        text = _STEP_TEXT[f"generic_{step.kind}"][loc].format(country=country)
    out = {"kind": step.kind, "text": text}
    if rule is not None and getattr(rule, "uncertain", None):
        out["uncertain"] = True   # the knowledge base says part of this rule is not certain
    if step.authority:
        out["authority"] = step.authority
    if step.url:
        out["url"] = step.url
    if step.months is not None:
        out["months"] = step.months
    return out


def _rule(c, head: str, code: str):
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


def describe_steps(kb, steps: Sequence[Step | Mapping], locale: str = "es") -> list[dict]:
    """Describe every step (steps stored by an older version, without a rule, are skipped)."""
    return [describe_step(kb, s, locale) for s in steps
            if isinstance(s, Step) or (isinstance(s, Mapping) and s.get("rule") and s.get("kind"))]


def describe_reason(kb, reason: Mapping, locale: str = "es") -> dict:
    """Return {"code", "text"} for a reason, in `locale`."""
    loc = _loc(locale)
    template = _REASON_TEXT.get(reason.get("code", ""), {}).get(loc)
    if template is None:
        return {"code": reason.get("code"), "text": reason.get("code", "")}
    values = dict(reason)
    for key in ("country", "to", "from", "issued_in"):
        if values.get(key):
            values[key] = _country_name(kb, values[key], loc)
    if values.get("status"):
        c = kb.country(reason.get("country")) if kb is not None else None
        s = c.status(values["status"]) if c is not None else None
        values["status"] = s.label.get(loc) if s is not None else values["status"]
    if values.get("required") in _LEVEL_TEXT:
        values["required"] = _LEVEL_TEXT[values["required"]][loc]
    try:
        text = template.format(**values)
    except KeyError:
        text = template
    return {"code": reason["code"], "text": text}
