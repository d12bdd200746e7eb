"""A draft reply to the vote thread: what was checked, in the order of the seed's checklist, and
the +1 or -1 the results support, with the reasons; "(binding)" or "(non-binding)" when who is
voting, and the PMC roster, are known."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters import http
from asf_release.adapters.git import Git
from asf_release.context import Context
from asf_release.errors import ReleaseError
from asf_release.profile import Profile
from asf_release.roster import APACHE_DOMAIN, Roster
from asf_release.templates import render
from asf_release.verify.model import CheckResult, Level, Report, Status

# The vote mail's checklist, each line with the checks that answer it (none: not checked here).
CHECKLIST: list[tuple[str, tuple[str, ...]]] = [
    ("Download links are valid", ("artifacts",)),
    ("Checksums and signatures", ("checksums", "signatures")),
    ("LICENSE/NOTICE files exist", ("license", "notice")),
    ("No unexpected binary files", ("binaries",)),
    ("All source files have ASF headers", ("headers",)),
    ("Can compile from source", ("build",)),
    ("All Tests Passed", ("tests",)),
    ("The archive opens safely and matches the git tag", ("archive", "provenance")),
    ("Docker image with right version", ("image-version",)),
    ("Docker image contains license files", ("image-licenses",)),
    ("Docker image can work well", ("image-platforms", "image-runs")),
]


@dataclass(frozen=True)
class Item:
    mark: str  # x: checked and fine, -: a problem, blank: not checked
    title: str
    detail: str


def items(report: Report) -> list[Item]:
    out = []
    for title, ids in CHECKLIST:
        results = [r for r in (report.check(i) for i in ids) if r is not None]
        ran = [r for r in results if r.status is not Status.SKIP]
        if not ids:
            out.append(Item(" ", title, "not checked by asf-release verify"))
        elif not results and all(i.startswith("image-") for i in ids):
            out.append(Item(" ", title, "not checked: no image given (verify --image REF)"))
        elif not ran:
            reasons = "; ".join(r.summary for r in results) or "not selected"
            out.append(Item(" ", title, f"not checked ({reasons})"))
        elif any(r.status is Status.FAIL for r in ran):
            out.append(Item("-", title, "; ".join(_problem(r) for r in ran if r.status is Status.FAIL)))
        else:
            warned = [r for r in ran if r.status is Status.WARN]
            detail = "; ".join(_warning(r) for r in warned)
            out.append(Item("x", title, f"with remarks: {detail}" if detail else "OK"))
    return out


def _problem(result: CheckResult) -> str:
    failures = [f for f in result.findings if f.level is Level.FAIL]
    first = failures[0] if failures else None
    text = (
        f"{first.path}: {first.message}"
        if first and first.path
        else first.message
        if first
        else result.summary
    )
    total = sum(f.counts().get("fail", 0) for f in failures)  # a capped remainder counts for all it hides
    more = f" (and {total - 1} more)" if total > 1 else ""
    return f"{result.id}: {text.splitlines()[0]}{more}"


def _warning(result: CheckResult) -> str:
    warnings = [f for f in result.findings if f.level is Level.WARN]
    return f"{result.id}: " + (warnings[0].message.splitlines()[0] if warnings else result.summary)


@dataclass(frozen=True)
class Voter:
    """Who is about to vote, as far as this machine can tell."""

    name: str
    uid: str  # the Apache id, when known
    addresses: tuple[str, ...]
    how: str  # where we learnt it, for people


@dataclass(frozen=True)
class Standing:
    binding: bool
    reason: str


def whoami(ctx: Context) -> Voter | None:
    """The voter: release_manager.apache_id (and name) from the personal config, else the
    addresses of the GnuPG key that `git config user.email` names."""
    person = ctx.profile.release_manager
    if person.apache_id:
        address = f"{person.apache_id}@{APACHE_DOMAIN}"
        return Voter(person.name, person.apache_id, (address,), "release_manager.apache_id in your config")
    try:
        email = Git(ctx.root or Path.cwd()).config("user.email")
        if not email:
            return None
        keys = ctx.gpg.keys(f"<{email}>")
    except ReleaseError:
        return None
    addresses = {email.lower()} | {a.lower() for key in keys for a in key.emails()}
    name = keys[0].name if keys else ""
    how = f"the key of {email} (git config user.email)" if keys else f"{email} (git config user.email)"
    return Voter(name, "", tuple(sorted(addresses)), how)


def standing(roster: Roster, voter: Voter) -> Standing:
    """Binding is a PMC member's vote; the roster decides, as the tally will."""
    for member in roster.members:
        if (voter.uid and member.uid == voter.uid) or member.all_addresses & set(voter.addresses):
            who = member.name or member.uid
            if member.pmc:
                return Standing(True, f"{who} is on the PMC roster ({roster.source})")
            return Standing(False, f"{who} is in the roster ({roster.source}) but not on the PMC")
    return Standing(False, f"{', '.join(voter.addresses)} is not on the PMC roster ({roster.source})")


def voter_standing(ctx: Context, roster: str | None = None) -> Standing | None:
    """Whether the person running verify votes binding: None when who they are, or the roster,
    cannot be known here (offline, no config): the reply then says how to decide."""
    from asf_release.steps.tally import load_roster

    voter = whoami(ctx)
    if voter is None:
        return None
    location = roster or ctx.profile.vote.roster
    if not location:
        return None
    if http.kind(location) == "file" and not roster and ctx.profile.root:
        location = str(ctx.profile.root / Path(location).expanduser())
    try:
        people = load_roster(ctx.profile, location, svn=ctx.svn)
    except ReleaseError:
        return None
    return standing(people, voter)


def draft(profile: Profile, report: Report, standing: Standing | None = None) -> str:
    listed = items(report)
    reasons = [item for item in listed if item.mark == "-"]
    return render(
        profile,
        "vote_reply",
        product=profile.project.product,
        version=report.version or "(unknown version)",
        rc=report.rc,
        tag=report.tag,
        source=report.source,
        keys=report.keys,
        vote={"pass": "+1", "fail": "-1"}.get(report.verdict, "(no vote yet: every check was skipped)"),
        binding=None if standing is None else standing.binding,
        items=listed,
        reasons=reasons,
    )
