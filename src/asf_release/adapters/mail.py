"""Mail: compose messages safely, keep them in an outbox, send them by SMTP.

The SMTP password comes from $ASF_RELEASE_SMTP_PASSWORD or the system keyring (service
"asf-release", user "USER@HOST"); it is never in argv, a file of ours, a log or the ledger.
"""

from __future__ import annotations

import os
import re
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


# Characters that end a header line for some reader: CR, LF and the other controls (NUL, VT, FF,
# the file separators, NEL U+0085...), and the Unicode line and paragraph separators, which
# str.splitlines() (and so Python's own header folding) takes for line breaks.
_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def header_safe(name: str, value: str) -> str:
    """Refuse a header value that would break the message: a line break of any kind injects
    headers (a Bcc:, a second body) into what the list receives."""
    found = _LINE_BREAKING.search(value)
    if found:
        shown = value[:60].encode("unicode_escape").decode("ascii")
        raise UsageError(
            f"the {name} '{shown}...' holds a line break or control character "
            f"(U+{ord(found.group(0)):04X}), which would break the mail headers",
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


class MaybeSent(ExternalError):
    """The connection broke after the server received the whole message and before it answered:
    the message may be on its way to the list. Sending it again could send it twice."""


def send(message: EmailMessage, settings: SmtpSettings, secret: str | None, timeout: float = 60) -> None:
    """Send by SMTP. Any failure before the message's last byte is an ExternalError (nothing was
    sent; sending again is safe); a failure after it, before the server's answer, is MaybeSent.
    Once the server said 250 nothing more can fail the send (QUIT is a courtesy)."""
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
    sender = getaddresses(message.get_all("From", []))
    data = _wire(message)
    handed_over = False
    try:
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        try:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user and secret:
                client.login(settings.user, secret)
            _envelope(client, sender[0][1] if sender else "", recipients)
            code, answer = client.docmd("DATA")
            if code != 354:
                raise smtplib.SMTPDataError(code, answer)
            client.send(data)
            # the end mark went out: from here on the server may have the message, whatever happens
            handed_over = True
            code, answer = client.getreply()
            if code != 250:
                handed_over = False  # a clear refusal: the server does not have it
                raise smtplib.SMTPDataError(code, answer)
        finally:
            _close(client)
    except smtplib.SMTPAuthenticationError:
        raise ExternalError(
            f"the SMTP server {settings.host} refused the login of {settings.user}",
            f"check the user in [smtp] and the password in {PASSWORD_ENV} or the keyring",
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        if handed_over:
            raise MaybeSent(
                f"the connection to {settings.host}:{settings.port} broke after the server received the "
                f"message and before it answered ({error or type(error).__name__}): it may have been sent",
                "run the command again: it looks for the message in the list archive and records it "
                "if it is there; if it never shows up, send it with --resend",
            ) from None
        raise ExternalError(
            f"could not send through {settings.host}:{settings.port} ({error})",
            "the message is kept in the outbox; run the command again to send it",
        ) from None


def _wire(message: EmailMessage) -> bytes:
    """The message as SMTP's DATA carries it: CRLF line ends, a leading '.' doubled, the end mark."""
    data = message.as_bytes(policy=policy.SMTP)
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _envelope(client: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
    client.ehlo_or_helo_if_needed()
    code, answer = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused = {}
    for recipient in recipients:
        code, answer = client.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, answer)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the message's fate was decided before QUIT
    finally:
        client.close()
