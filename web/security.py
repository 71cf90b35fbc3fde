"""Security headers and rate limits.

Every answer carries a content security policy (nothing loads from another site; inline
style attributes only, for the score bars), no referrer (private links carry their token
in the address, and pages link to official sites), no framing and no MIME sniffing.

Submissions — profiles and vacancies, new or changed, by form or API — share one rate
limit per client address (`submission_limit`, whichever form or endpoint they come
through), counted by Flask-Limiter on the same Redis as the queue (PUENTE_RATE_LIMIT,
default "10 per minute;100 per hour"). If Redis is away, limits fall back to the process's memory
rather than refusing people.

Request sizes are bounded in config (`Settings.flask_config`): a body of 512 kB (JSON or
form), a query string of 4 kB, multipart forms of 300 parts. Both are refused before any
view, login lookup or CSRF check reads them; views that take a file (the CSV import) are
marked `@large_body` and accept PUENTE_MAX_IMPORT_SIZE from case workers only.
"""
from __future__ import annotations

import unicodedata

from flask import abort, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth import is_admin
from .extensions import settings as app_settings

__all__ = ["FORM_SLACK", "formula_start", "init_security", "large_body", "limiter", "safe_cell", "submission_limit", "submit_limit"]

limiter = Limiter(key_func=get_remote_address)

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "object-src 'none'")


def _storage_uri(redis_url: str) -> str:
    """The limits library's name for a Redis URL (a unix socket is "redis+unix://")."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def submit_limit() -> str:
    return app_settings().rate_limit


# One count per client address for every submission, whichever door it comes through: the
# profile and vacancy forms (new and edit) and the API's POST and PUT share it. (A limit per
# endpoint let one address send the limit through each of six doors.)
SUBMISSIONS = "submissions"
submission_limit = limiter.shared_limit(submit_limit, scope=SUBMISSIONS, methods=["POST", "PUT"])


FORM_SLACK = 64 * 1024   # the form's other fields and multipart boundaries around an uploaded file


def large_body(view):
    """Mark a view (put it right under the route) that takes a file of up to PUENTE_MAX_IMPORT_SIZE."""
    view.puente_large_body = True
    return view


def _bound_request():
    """Refuse an oversize query string or body before anything reads it (413/414)."""
    cfg = current_app.config
    if len(request.query_string) > cfg["MAX_QUERY_LENGTH"]:
        abort(414)
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "puente_large_body", False) and request.method == "POST" and is_admin():
        request.max_content_length = cfg["MAX_IMPORT_SIZE"] + FORM_SLACK
    limit = request.max_content_length
    # A body sent in chunks (no Content-Length) is cut at the same limit when it is read.
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
    # PostgreSQL refuses a NUL in text with an error. No address, query or form field here
    # may hold one, so it is a 400 before any view looks the value up or saves it.
    if "\x00" in request.path or _has_nul(request.args) or (
            request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _has_nul(request.form)):
        abort(400)


def _has_nul(values) -> bool:
    return any("\x00" in v for vs in values.listvalues() for v in vs)


def safe_cell(value):
    """A CSV cell a spreadsheet will not run as a formula.

    Text whose first character, after any leading whitespace (spaces, line breaks, no-break
    spaces) and invisible format characters (Unicode category Cf: zero-width spaces and
    joiners, the word joiner, a byte order mark, direction marks), starts a formula in Excel,
    LibreOffice or Google Sheets (= + - @, their full-width forms, a tab or a carriage return)
    gets a leading apostrophe, which spreadsheets show as text. Spreadsheets skip or strip
    those characters, so "\u200b=1" or "\ufeff=1" would still be run.
    """
    if isinstance(value, str) and formula_start(value):
        return "'" + value
    return value


def formula_start(text: str) -> bool:
    """Whether `text` would start a formula once its leading blanks and invisible characters go."""
    for ch in text:
        if ch in _FORMULA_STARTS:
            return True
        if not (ch.isspace() or unicodedata.category(ch) == "Cf"):
            return False
    return False


_FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def init_security(app, settings) -> None:
    # First of all the request hooks: the CSRF check reads the form, and an oversize one
    # must be refused before that.
    app.before_request_funcs.setdefault(None, []).insert(0, _bound_request)
    if settings.proxy_hops > 0:   # behind N proxies (a PaaS router): the client address is theirs to tell
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    app.config.update(RATELIMIT_ENABLED=settings.rate_limit_enabled, RATELIMIT_HEADERS_ENABLED=True,
                      RATELIMIT_STORAGE_URI=_storage_uri(settings.redis_url), RATELIMIT_SWALLOW_ERRORS=True,
                      RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True, RATELIMIT_KEY_PREFIX="puente-limits",
                      # "10 per minute" means any 60 s, not each clock minute: a fixed window let
                      # twice the limit through across a minute's turn (and made tests flaky there).
                      RATELIMIT_STRATEGY="moving-window")
    limiter.init_app(app)
    # The module has one Limiter for every app; its "store unreachable, count in memory" flag
    # would carry over from an app that saw Redis down to the next one (Flask-Limiter 4.1 keeps
    # it on the instance, with no public reset). A new app starts with its store presumed up:
    # the first failure sends it back to memory. tests/test_i18n_security.py checks it.
    limiter._storage_dead = False

    @app.after_request
    def headers(response):
        # The queue monitor (rq-dashboard, admins only) runs inline scripts and templates of its own.
        policy = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'") \
            if request.path.startswith("/admin/rq") else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if response.mimetype in ("text/html", "application/json", "text/csv"):
            # Private pages (a job seeker's link, candidates, imports) must not stay in a shared computer's cache.
            response.headers.setdefault("Cache-Control", "no-store")
        if settings.session_cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
