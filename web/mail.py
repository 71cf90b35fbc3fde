"""Sending a job seeker their private link by e-mail, when they give an address.

The address is used once, to send, and is neither stored nor logged. Without
PUENTE_SMTP_URL (smtp://user:password@host:port, or smtps://…) nothing is sent and the
page says so: the link on the screen is then the only copy.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask_babel import gettext as _

log = logging.getLogger(__name__)

__all__ = ["send_private_link", "valid_address"]


def valid_address(address: str) -> bool:
    address = address.strip()
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and len(address) <= 254 and not any(c.isspace() for c in address))


def send_private_link(smtp_url: str, sender: str, address: str, link: str) -> bool:
    """Send the link; return whether it was handed to the mail server."""
    if not smtp_url:
        return False
    parts = urlsplit(smtp_url)
    message = EmailMessage()
    message["From"], message["To"] = sender, address.strip()
    message["Subject"] = _("Su enlace privado de Puente")
    message.set_content(_("Este es su enlace privado para ver sus empleos, cambiar su perfil o borrarlo:\n\n%(link)s\n\n"
                          "No lo comparta: quien lo tenga puede ver su perfil.", link=link))
    try:
        cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with cls(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25), timeout=10) as smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("private link e-mail not sent: %s", type(exc).__name__)   # never the address
        return False
