"""Mail: compose messages safely, keep them in an outbox, send them by SMTP.

The SMTP password comes from $ASF_RELEASE_SMTP_PASSWORD or the system keyring (service
"asf-release", user "USER@HOST"); it is never in argv, a file of ours, a log or the ledger.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from asf_release.errors import ConfigError, ExternalError, UsageError
from asf_release.profile import SmtpSection as SmtpSettings

PASSWORD_ENV = "ASF_RELEASE_SMTP_PASSWORD"
KEYRING_SERVICE = "asf-release"


def header_safe(name: str, value: str) -> str:
    """Refuse a header value that would break the message (CR or LF injects headers)."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise UsageError(
            f"the {name} '{value[:60]}...' holds a line break, which would break the mail headers",
            "remove the line break from that value (profile, option or ledger)",
        )
    return value


def compose(
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    body: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    date: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = header_safe("subject", subject)
    message["From"] = header_safe("sender", sender)
    message["To"] = ", ".join(header_safe("recipient", a) for a in to)
    if cc:
        message["Cc"] = ", ".join(header_safe("recipient", a) for a in cc)
    message["Date"] = format_datetime(date)
    domain = _domain(sender)
    message["Message-ID"] = header_safe("Message-ID", message_id or make_msgid(domain=domain))
    if in_reply_to:
        message["In-Reply-To"] = header_safe("In-Reply-To", in_reply_to)
        message["References"] = " ".join(
            header_safe("References", r) for r in (*references, in_reply_to) if r
        )
    message.set_content(body, charset="utf-8", cte="quoted-printable" if not body.isascii() else "7bit")
    return message


def _domain(address: str) -> str:
    found = getaddresses([address])
    email = found[0][1] if found else ""
    return email.rsplit("@", 1)[1] if "@" in email else "localhost"


def write_outbox(message: EmailMessage, outbox: Path, stem: str) -> Path:
    """Keep the message as OUTBOX/STEM.eml (written whole or not at all)."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{stem}.eml"
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(message.as_bytes(policy=policy.SMTP))
    partial.replace(target)
    return target


def read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        parsed = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(parsed, EmailMessage)
    return parsed


def password(settings: SmtpSettings, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if not settings.user:
        return None
    try:
        import keyring
    except ImportError:
        return None
    try:
        found = keyring.get_password(KEYRING_SERVICE, f"{settings.user}@{settings.host}")
    except Exception:
        return None
    return found


def send(message: EmailMessage, settings: SmtpSettings, secret: str | None, timeout: float = 60) -> None:
    if not settings.host:
        raise ConfigError(
            "no SMTP server is configured", "set [smtp] host in your config file", key="smtp.host"
        )
    if settings.user and not secret:
        raise ConfigError(
            f"no SMTP password for {settings.user}@{settings.host}",
            f"set {PASSWORD_ENV}, or store it with: keyring set {KEYRING_SERVICE} {settings.user}@{settings.host}",
            key="smtp.user",
        )
    recipients = [
        address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    ]
    try:
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user and secret:
                client.login(settings.user, secret)
            client.send_message(message, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError:
        raise ExternalError(
            f"the SMTP server {settings.host} refused the login of {settings.user}",
            f"check the user in [smtp] and the password in {PASSWORD_ENV} or the keyring",
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise ExternalError(
            f"could not send through {settings.host}:{settings.port} ({error})",
            "the message is kept in the outbox; run the command again to send it",
        ) from None
