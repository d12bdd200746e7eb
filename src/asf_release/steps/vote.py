"""vote: compose the [VOTE] message from the ledger's facts, keep it in the outbox, send it once.

Its sending time is the vote's start. The thread is checked before sending: a [VOTE] for this
candidate already there from the release manager's address (sent by hand, or by a run whose
ledger entry was lost) is adopted, never sent a second time. One from anyone else is not theirs
to adopt; nor is another candidate's (with a subject that names no RC, the body tells them apart).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from asf_release import templates
from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.errors import ExternalError
from asf_release.mailtext import Head
from asf_release.steps import candidate as candidate_module
from asf_release.steps import mailing
from asf_release.steps.base import Action, Check, Outcome, Plan, State
from asf_release.version import Version


class VoteStep(mailing.MessageStep):
    name = "vote"
    title = "Call the vote"
    subject_key = "mail.vote_subject"

    def __init__(
        self,
        version: Version,
        rc: int | None = None,
        *,
        send: bool = False,
        resend: bool = False,
        no_image: bool = False,
    ) -> None:
        super().__init__(version, rc, send=send, resend=resend)
        self.no_image = no_image  # the release manager says this candidate has no image

    # --- plan / run / done --------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return Plan(self.name, [], [f"the [VOTE] message was sent {_when(state.sent_at)}"])
        candidate_module.load(ctx, self.version, self._rc)  # refuses, naming the command, when facts lack
        from asf_release.steps.images import require_for_vote

        require_for_vote(ctx, self.version, self._rc, self.no_image)
        path = ctx.outbox / f"{self.stem}.eml"
        actions = [Action(f"write the [VOTE] message '{self.subject(ctx)}' to {path}")]
        if self.send:
            actions.append(self.sending(ctx))
        notes = [] if self.send else ["add --send to send it; until then it waits in the outbox"]
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        if self.no_image:
            from asf_release.steps.images import say_no_image

            say_no_image(ctx, self.version, self._rc)
        found = self._adopt(ctx) if self.send else None
        if found is not None:
            return found
        delivery = mailing.deliver(
            ctx,
            self,
            stem=self.stem,
            build=lambda message_id, date: self.compose(ctx, message_id, date),
            send=self.send,
            resend=self.resend,
            find=lambda message_id: mailing.find_in(
                mailing.thread_location(ctx, None, message_id), message_id
            ),
        )
        facts: dict[str, Any] = {
            "message_id": delivery.message_id,
            "subject": self.subject(ctx),
            "to": ctx.profile.mail.dev_list,
            "file": str(delivery.file) if delivery.file else "",
            "sent": delivery.sent,
            **_image_facts(ctx, self.version, self._rc),
        }
        if delivery.sent and delivery.sent_at:
            facts["start"] = delivery.sent_at.isoformat()
            summary = f"sent to {ctx.profile.mail.dev_list} {_when(delivery.sent_at)}: the vote is open"
            if not delivery.changed:
                summary = f"already sent {_when(delivery.sent_at)}"
        else:
            summary = f"written to {delivery.file}; not sent (add --send)"
        details = [f"Message-ID {delivery.message_id}", f"Subject: {self.subject(ctx)}"]
        if delivery.how == "found in the thread":
            details.append("an earlier run's message was found in the thread: not sent again")
        return Outcome(self.name, summary, facts, delivery.changed, details)

    def done(self, ctx: Context) -> Check:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None and state.message_id:
            detail = f"sent {_when(state.sent_at)}, Message-ID {state.message_id}"
            local = mailing.local_thread(ctx)
            try:
                if local and mailing.find_in(local, state.message_id) is None:
                    detail += "; not in the thread yet"
            except ExternalError as error:
                detail += f"; the thread could not be read ({error.message})"
            return Check(State.DONE, detail)
        if state.attempt_open:
            return self.unsent(ctx, state, "")  # the ledger does not know: the next run looks
        found = self._in_thread(ctx)
        if found is not None:
            return Check(State.DONE, f"in the thread: sent {_when(found.date)} by {found.sender.label()}")
        return self.unsent(ctx, state, "the [VOTE] message is not written yet")

    # --- the message --------------------------------------------------------------------------
    @property
    def _rc(self) -> int:
        assert self.rc is not None, "the CLI resolves the RC number"
        return self.rc

    def compose(self, ctx: Context, message_id: str, date: datetime) -> EmailMessage:
        profile = ctx.profile
        rc = candidate_module.load(ctx, self.version, self._rc)
        image = None
        if rc.image is not None:
            # docker.image_url is the page of Docker Hub's (its repository named without the
            # registry, the digest as sha256-HEX); an image in another registry has no such page
            url = ""
            if "." not in rc.image.repository.split("/", 1)[0] or rc.image.repository.startswith(
                "docker.io/"
            ):
                url = profile.fmt(
                    "docker.image_url",
                    repository=rc.image.repository.removeprefix("docker.io/"),
                    version=rc.image.tag or str(self.version),
                    digest=rc.image.digest.replace(":", "-"),
                )
            image = {"reference": rc.image.reference, "url": url}
        body = templates.render(
            profile,
            "vote",
            product=profile.project.product,
            version=str(self.version),
            rc=self._rc,
            tag=rc.tag,
            tag_url=profile.fmt("git.tag_url", tag=rc.tag),
            commit=rc.commit,
            commit_url=profile.fmt("git.commit_url", sha=rc.commit),
            rc_url=rc.url + "/",
            artifacts=rc.artifacts,
            signing_key=rc.signing_key,
            signer=rc.signer or profile.release_manager.name,
            keys_url=profile.dist.keys_url,
            image=image,
            min_hours=profile.vote.min_hours,
            rule=_rule_words(ctx),
            verify_guide_url=profile.project.verify_guide_url,
            website=profile.project.website,
            release_manager=profile.release_manager.name or mailing.sender(ctx),
        )
        return mail_adapter.compose(
            subject=self.subject(ctx),
            sender=mailing.sender(ctx),
            to=[profile.mail.dev_list],
            body=body,
            date=date,
            message_id=message_id,
        )

    def preview(self, ctx: Context) -> EmailMessage:
        """The message as it would be written, for --dry-run (its Message-ID is not kept)."""
        return self.compose(ctx, "<preview@asf-release>", ctx.now())

    # --- the thread ---------------------------------------------------------------------------
    def _in_thread(self, ctx: Context) -> Head | None:
        """This candidate's [VOTE] from the release manager's address in the thread the person
        keeps locally, if any."""
        from asf_release.steps.tally import find_vote

        local = mailing.local_thread(ctx)
        if not local:
            return None
        return find_vote(
            ctx.profile,
            local,
            self.version,
            self._rc,
            owner=mailing.owner(ctx, self),
            exclude=mailing.other_candidates(ctx, self),
        )

    def _adopt(self, ctx: Context) -> Outcome | None:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return None
        found = self._in_thread(ctx)
        if found is None or (
            state.message_id and found.message_id == state.message_id and not state.attempt_open
        ):
            return None
        when = self.adopt(ctx, found, ours=found.message_id == state.message_id)
        return Outcome(
            self.name,
            f"the thread already holds this [VOTE], sent {_when(when)} by {found.sender.label()}: not sent again",
            {
                "message_id": found.message_id,
                "subject": found.subject,
                "sent": True,
                "start": when.isoformat(),
            },
            True,
            [f"Message-ID {found.message_id}"],
        )


def _image_facts(ctx: Context, version: Version, rc: int) -> dict[str, str]:
    """The image the message names, kept with the vote: promote copies exactly this digest."""
    image = candidate_module.load(ctx, version, rc).image
    return {"image": image.reference, "image_digest": image.digest} if image else {}


def _rule_words(ctx: Context) -> str:
    vote = ctx.profile.vote
    if vote.rule == "asf":
        return f"at least {vote.min_binding_approvals} binding +1 votes and more binding +1 than -1 votes"
    return f"at least {vote.min_binding_approvals} binding +1 votes and no binding -1"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip() if moment else "at an unknown time"
