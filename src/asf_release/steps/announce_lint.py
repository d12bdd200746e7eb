"""Lint of the [ANNOUNCE] message before it goes out: data in, findings out.

announce@apache.org takes plain text only, from an address of the foundation's domain, and is
moderated: a message that breaks these rules is held or refused. A link that does not answer, or
one to dist.apache.org (the staging and release repository, not for users), is a mistake people see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from asf_release.verify.model import Finding, fail

DIST_HOST = "dist.apache.org"
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_HTML = re.compile(r"<\s*/?\s*(?:html|body|head|a|p|br|div|span|table|b|i|strong|em|ul|ol|li)\b[^>]*>", re.I)
_TRAILING = ".,;:!?)]}"

Probe = Callable[[str], tuple[int | None, str]]


@dataclass(frozen=True)
class Expected:
    sender_domain: str
    to: Sequence[str]
    cc: Sequence[str]
    forbidden: Sequence[str] = ()  # link prefixes never given to users (besides dist.apache.org)
    required: Mapping[str, str] = field(default_factory=dict)  # what -> the link the message must carry


def links_in(text: str) -> list[str]:
    """The http(s) links of a text, in order, each once, without the sentence's punctuation."""
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url not in found:
            found.append(url)
    return found


def _addresses(values: Sequence[str]) -> list[str]:
    return sorted(address.lower() for _, address in getaddresses(list(values)) if address)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def lint(message: EmailMessage, expected: Expected, probe: Probe | None = None) -> list[Finding]:
    """Every rule the message breaks. probe(url) -> (status, why) checks that each link answers."""
    findings: list[Finding] = []
    if message.is_multipart() or message.get_content_type() != "text/plain":
        findings.append(
            fail(
                "Content-Type",
                f"the message is {message.get_content_type()}, not plain text only",
                "the announce list takes text/plain only: no HTML part, no attachment",
            )
        )
    body = body_of(message)
    if _HTML.search(body):
        findings.append(fail("body", "the text holds HTML markup", "write plain text; links as bare URLs"))
    _, sender = parseaddr(str(message.get("From", "")))
    domain = sender.rsplit("@", 1)[-1].lower() if "@" in sender else ""
    if domain != expected.sender_domain.lower():
        findings.append(
            fail(
                "From",
                f"sent from {sender or 'no address'}, not from an address at {expected.sender_domain}",
                f"set [smtp] sender to your address at {expected.sender_domain}",
            )
        )
    for header, wanted in (("To", expected.to), ("Cc", expected.cc)):
        given = _addresses([str(v) for v in message.get_all(header, [])])
        if given != _addresses(list(wanted)):
            findings.append(
                fail(
                    header,
                    f"{header}: {', '.join(given) or 'nobody'}; expected {', '.join(wanted) or 'nobody'}",
                    f"the profile's mail.announce_{header.lower()} says who receives the announcement",
                )
            )
    found = links_in(body)
    for url in found:
        host = re.sub(r"^https?://", "", url).split("/", 1)[0].lower()
        if host == DIST_HOST or any(url.startswith(prefix) for prefix in expected.forbidden if prefix):
            findings.append(
                fail(
                    url,
                    "links the dist repository, which is not for users",
                    "link downloads through closer.lua and downloads.apache.org",
                )
            )
    for what, url in expected.required.items():
        if url not in found:
            findings.append(fail(what, f"the {what} link is missing ({url})", "keep it in the message"))
    if probe is not None:
        for url in found:
            status, why = probe(url)
            if status is None or status >= 400:
                answer = f"HTTP {status}" if status is not None else why or "no answer"
                findings.append(
                    fail(url, f"the link does not answer ({answer})", "fix the link, or wait for it")
                )
    return findings
