"""Read the HTML forms into the dictionaries the schemas validate, and their choices."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from matching import EDUCATION_LEVELS, LANGUAGE_LEVELS
from matching.explain import country_name, language_name

from ..extensions import knowledge, settings
from ..i18n import locale
from ..responses import JobOut, ProfileOut, profile_out
from ..schemas import JobIn, LanguageIn

JOB_ROWS = 3          # rows drawn on a new form; an edit form draws as many as the profile has
LANGUAGE_ROWS = 3
MAX_JOB_ROWS = 20     # the schema's limits
MAX_LANGUAGE_ROWS = 10

# The Quito Process members and Venezuela first; any other country is accepted by the API.
REGION = ("AR", "BR", "CL", "CO", "CR", "DO", "EC", "GY", "MX", "PA", "PY", "PE", "UY", "VE")
FORM_LANGUAGES = ("es", "pt", "en", "fr", "ht", "nl", "qu", "gn")

EDUCATION_LABELS = {
    "none": _l("Sin estudios formales"), "primary": _l("Primaria"), "lower_secondary": _l("Secundaria básica"),
    "upper_secondary": _l("Bachillerato / secundaria completa"),
    "post_secondary": _l("Curso técnico post-secundario"),
    "short_cycle": _l("Técnico superior (TSU, tecnólogo)"), "bachelor": _l("Universitario (licenciatura, ingeniería)"),
    "master": _l("Especialización o maestría"), "doctorate": _l("Doctorado"),
}
LEVEL_LABELS = {"native": _l("Nativo"), "fluent": _l("Avanzado (C1-C2)"), "intermediate": _l("Intermedio (B1-B2)"),
                "basic": _l("Básico (A1-A2)")}
LEVEL_SHORT = {"native": _l("nativo"), "fluent": _l("avanzado"), "intermediate": _l("intermedio"),
               "basic": _l("básico")}
assert set(EDUCATION_LABELS) == set(EDUCATION_LEVELS) and set(LEVEL_LABELS) == set(LANGUAGE_LEVELS)


@lru_cache(maxsize=4)
def country_choices(locale: str = "es") -> list[tuple[str, str]]:
    """The region's countries, sorted by their name in `locale`."""
    return sorted(((c, country_name(c, locale)) for c in REGION), key=lambda x: x[1])


@lru_cache(maxsize=4)
def language_choices(locale: str = "es") -> list[tuple[str, str]]:
    codes = [c for c in FORM_LANGUAGES if len(c) == 2]
    return [(c, language_name(c, locale).capitalize()) for c in codes]


def status_choices(kb, locale: str = "es") -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each country's statuses (config/countries), as (code, name, [("CO:ppt", label)]),
    sorted by country name; an option's value names its country, so a status chosen in
    another country's group is caught instead of guessed."""
    groups = []
    for code, country in kb.countries.items():
        if "host" not in country.roles:
            continue
        options = [(f"{code}:{s.code}", s.label.get(locale)) for s in country.statuses]
        groups.append((code, country.names.get(locale), options))
    return sorted(groups, key=lambda g: g[1])


def choices(kb=None) -> dict:
    """Everything the form templates need to draw their selects."""
    if kb is None:
        kb = knowledge()
    loc = locale()
    return {
        "countries": country_choices(loc), "languages": language_choices(loc),
        "education": [(k, str(v)) for k, v in EDUCATION_LABELS.items()],
        "levels": [(k, str(v)) for k, v in LEVEL_LABELS.items()],
        "statuses": status_choices(kb, loc), "job_rows": JOB_ROWS, "language_rows": LANGUAGE_ROWS,
    }


def _status(form) -> str:
    """'CO:ppt' -> 'ppt' when the person lives in CO; kept whole (and refused) otherwise."""
    value = form.get("status", "")
    country, sep, code = value.partition(":")
    return code if sep and country == form.get("country", "") else value


def profile_labels() -> dict[str, str]:
    """The profile form's field names, in the reader's language (for the error summary)."""
    labels = {"country": _("País donde vive"), "city": _("Ciudad"), "summary": _("Resumen"),
              "skills": _("Habilidades"), "target_countries": _("Países donde le gustaría trabajar"),
              "education-level": _("Nivel de estudios"), "education-field": _("Carrera o área"),
              "education-country": _("País donde estudió"), "nationality-0": _("Nacionalidad"),
              "nationality-1": _("Segunda nacionalidad"), "status": _("Situación migratoria"), "gender": _("Género"),
              "consent": _("Consentimiento"), "languages": _("Idiomas"), "nationalities": _("Nacionalidad"),
              "email": _("Correo electrónico")}
    words = {"title": _("cargo"), "years": _("años"), "country": _("país"), "description": _("qué hacía")}
    for i in range(MAX_JOB_ROWS):
        for key, word in words.items():
            labels[f"job-{i}-{key}"] = _("Empleo anterior %(n)d, %(field)s", n=i + 1, field=word)
    for i in range(MAX_LANGUAGE_ROWS):
        labels[f"lang-{i}-code"] = _("Idioma %(n)d", n=i + 1)
        labels[f"lang-{i}-level"] = _("Idioma %(n)d, nivel", n=i + 1)
    return labels


def vacancy_labels() -> dict[str, str]:
    """The vacancy form's field names, in the reader's language."""
    return {
        "title": _("Cargo"), "employer": _("Empresa"), "description": _("Descripción"),
        "essential_skills": _("Habilidades imprescindibles"), "optional_skills": _("Habilidades deseables"),
        "country": _("País"), "city": _("Ciudad"), "languages": _("Idiomas"), "education_level": _("Estudios mínimos"),
        "experience_years": _("Años de experiencia"), "openings": _("Puestos"), "remote": _("Trabajo remoto"),
        "accepts_relocation": _("Personas de otro país"),
    }


def _checked(form, name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


# The form's rows and fields are named after the models' fields: "job-0-title", "lang-1-level".
JOB_FIELDS = tuple(JobIn.model_fields)                    # title, years, country, description
LANGUAGE_FIELDS = tuple(LanguageIn.model_fields)          # code, level
EDUCATION_FIELDS = ("level", "field", "country")          # of EducationIn: the degree's name is its level as given


def _jobs_from_form(form, names: dict[str, str]) -> list[dict]:
    jobs = []
    for row in range(MAX_JOB_ROWS):
        job = {k: form.get(f"job-{row}-{k}", "").strip() for k in JOB_FIELDS}
        if not any(job.values()):
            continue
        names.update({f"jobs.{len(jobs)}.{k}": f"job-{row}-{k}" for k in job})
        job["years"] = job["years"].replace(",", ".") or 0  # 2,5 is how Spanish writes 2.5
        jobs.append(job)
    return jobs


def _languages_from_form(form, names: dict[str, str]) -> list[dict]:
    languages = []
    for row in range(MAX_LANGUAGE_ROWS):
        language = {k: form.get(f"lang-{row}-{k}", "") for k in LANGUAGE_FIELDS}
        if not any(language.values()):
            continue
        names.update({f"languages.{len(languages)}.{k}": f"lang-{row}-{k}" for k in LANGUAGE_FIELDS})
        names[f"languages.{len(languages)}"] = f"lang-{row}-code"
        names.setdefault("languages", f"lang-{row}-code")
        languages.append(language)
    return languages


def _education_from_form(form, names: dict[str, str]) -> dict | None:
    if not form.get("education-level"):
        return None
    education = {k: form.get(f"education-{k}", "") for k in EDUCATION_FIELDS}
    # The recognition asked about is in the country lived in.
    recognised = _checked(form, "education-recognised") and form.get("country")
    education["recognised_in"] = [form.get("country", "")] if recognised else []
    # The degree's name is the level as given.
    names.update({f"education.{k}": f"education-{k}" for k in EDUCATION_FIELDS})
    names.update({"education.degree": "education-level", "education.recognised_in.0": "country"})
    return education


def profile_from_form(form) -> tuple[dict, dict[str, str]]:
    """Return the profile dictionary (for `ProfileIn`), and a map from schema field names to form field names.

    Empty job and language rows are left out, so the n-th job in the dictionary may be
    another row of the form; the map lets errors land on the right field.
    """
    names: dict[str, str] = {"nationalities.0": "nationality-0", "nationalities.1": "nationality-1"}
    data = {
        "summary": form.get("summary", ""), "jobs": _jobs_from_form(form, names), "skills": form.get("skills", ""),
        "languages": _languages_from_form(form, names), "education": _education_from_form(form, names),
        "country": form.get("country", ""), "city": form.get("city", ""),
        "target_countries": form.getlist("target_countries"), "relocate": _checked(form, "relocate"),
        "nationalities": [n for n in (form.get("nationality-0", ""), form.get("nationality-1", "")) if n],
        "status": _status(form), "gender": form.get("gender", ""), "locale": locale(),
    }
    if _checked(form, "consent"):
        data["consent"] = True
    return data, names


def _job_items(i: int, job: JobOut) -> list[tuple[str, str]]:
    years = f"{job.years:g}" if job.years else ""
    return [(f"job-{i}-title", job.title), (f"job-{i}-years", years), (f"job-{i}-country", job.country or ""),
            (f"job-{i}-description", job.description)]


def _education_items(profile: ProfileOut) -> list[tuple[str, str]]:
    edu = profile.education
    items = [("education-level", edu.level if edu else ""), ("education-field", (edu.field or "") if edu else ""),
             ("education-country", (edu.country or "") if edu else "")]
    if edu and profile.country in edu.recognised_in:
        items.append(("education-recognised", "on"))
    return items


def profile_to_form(profile):
    """The form fields of a saved profile (read as `ProfileOut`), so the person can edit what they gave."""
    p = profile_out(profile, None)
    items: list[tuple[str, str]] = [
        ("country", p.country), ("city", p.city or ""), ("summary", p.summary or ""),
        ("skills", ", ".join(p.skills)), *_education_items(p)]
    if p.consent.version == settings().consent_version:
        items.append(("consent", "on"))   # given for the text shown today: an edit keeps it
    items += [("target_countries", c) for c in p.target_countries]
    if p.relocate:
        items.append(("relocate", "on"))
    for i, job in enumerate(p.jobs[:MAX_JOB_ROWS]):
        items += _job_items(i, job)
    for i, lang in enumerate(p.languages[:MAX_LANGUAGE_ROWS]):
        items += [(f"lang-{i}-code", lang.code), (f"lang-{i}-level", lang.level)]
    items += [(f"nationality-{i}", code) for i, code in enumerate(p.nationalities[:2])]
    if p.status:
        items.append(("status", f"{p.country}:{p.status}"))
    if p.gender:
        items.append(("gender", p.gender))
    return MultiDict(items)


def vacancy_from_form(form) -> dict:
    """Return the vacancy dictionary; its field names are the form's."""
    return {
        "title": form.get("title", ""), "description": form.get("description", ""),
        "employer": form.get("employer", ""),
        "essential_skills": form.get("essential_skills", ""), "optional_skills": form.get("optional_skills", ""),
        "country": form.get("country", ""), "city": form.get("city", ""), "remote": _checked(form, "remote"),
        "languages": form.getlist("languages"), "education_level": form.get("education_level", ""),
        "experience_years": form.get("experience_years", "").replace(",", ".") or 0, "openings": form.get("openings", "") or 1,
        "accepts_relocation": _checked(form, "accepts_relocation"), "locale": locale(),
    }


def form_errors(errors: dict[str, str], names: dict[str, str] | None = None) -> dict[str, str]:
    """Rename schema error keys to form field names."""
    names = names or {}
    out: dict[str, str] = {}
    for key, message in errors.items():
        out.setdefault(names.get(key, key.split(".")[0] if key.count(".") and key.split(".")[0] in (
            "skills", "essential_skills", "optional_skills", "target_countries", "languages", "nationalities")
            else key), message)
    return out
