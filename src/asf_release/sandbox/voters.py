"""The sandbox's community answering a [VOTE]: three PMC members and a contributor reply through
the sandbox's SMTP server, the way their mail clients would.

Bruno quotes the whole VOTE (checkbox lines included) and answers below it; Chen top-posts above
the quote; Grace sends text with an HTML alternative; Dana, a contributor, votes non-binding.
Each reply has a fixed Message-ID derived from the VOTE's, so sending them again is skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from asf_release.adapters import lists
from asf_release.adapters import mail as mail_adapter
from asf_release.profile import SmtpSection
from asf_release.sandbox.environment import CONTRIBUTORS, PMC, Person, Sandbox


@dataclass(frozen=True)
class Reply:
    person: Person
    hours: float  # after the VOTE
    body: str
    style: str
    html: str | None = None
    binding: bool = True


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _attribution(vote: EmailMessage, start: datetime) -> str:
    return f"On {start:%a, %b %d, %Y at %H:%M}, {vote['From']} wrote:"


def community(vote: EmailMessage, start: datetime) -> list[Reply]:
    body = vote.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    bruno, chen, grace = PMC[2], PMC[3], PMC[4]
    dana = CONTRIBUTORS[0]
    return [
        Reply(
            bruno,
            3,
            f"{_attribution(vote, start)}\n{_quoted(text)}\n\n"
            "Checked: signature and SHA-512 match, LICENSE and NOTICE present, headers fine,\n"
            "builds and passes its tests on Debian 12.\n\n+1 (binding)\n\nBruno\n",
            "quotes the whole VOTE, checkboxes included, and answers below",
        ),
        Reply(
            chen,
            9,
            "+1\n\nVerified the signature against KEYS and built from source on Ubuntu 24.04.\n\n"
            f"{_attribution(vote, start)}\n{_quoted(text)}\n",
            "top-posts above the quoted VOTE",
        ),
        Reply(
            grace,
            26,
            "+1 (binding)\n\nAll checks passed here.\n",
            "text with an HTML alternative",
            html='<div dir="ltr">+1 (binding)<div><br></div><div>All checks passed here.</div></div>',
        ),
        Reply(
            dana,
            40,
            "+1 (non-binding)\n\nRan the cluster tests against the candidate, no problem.\n\nDana\n",
            "a short reply",
            binding=False,
        ),
    ]


def message_id(person: Person, vote_id: str) -> str:
    digest = hashlib.sha256(f"{person.uid} {vote_id}".encode()).hexdigest()[:28]
    return f"<CA+{digest}@mail.example.org>"


def reply_message(reply: Reply, vote: EmailMessage, start: datetime) -> EmailMessage:
    vote_id = str(vote["Message-ID"])
    message = mail_adapter.compose(
        subject=f"Re: {vote['Subject']}",
        sender=reply.person.address,
        to=[str(vote["To"])],
        body=reply.body,
        date=start + timedelta(hours=reply.hours),
        message_id=message_id(reply.person, vote_id),
        in_reply_to=vote_id,
    )
    if reply.html is not None:
        message.add_alternative(reply.html, subtype="html")
    return message


def answer(sandbox: Sandbox, vote: EmailMessage, start: datetime) -> list[tuple[Reply, bool]]:
    """Send each reply not yet in the sandbox's captured mail; (reply, sent now) for each."""
    settings = SmtpSection(host="127.0.0.1", port=sandbox.mail.port, security="none", user="", sender="")
    present: set[str] = set()
    if sandbox.mbox.exists():
        with lists.open_source(str(sandbox.mbox)) as source:
            present = {head.message_id for head in source.heads()}
    done = []
    for reply in community(vote, start):
        message = reply_message(reply, vote, start)
        fresh = str(message["Message-ID"]) not in present
        if fresh:
            mail_adapter.send(message, settings, None)
        done.append((reply, fresh))
    return done
