"""What the [ANNOUNCE] message says: the release's links and its notable changes.

Notable changes come from the commits between the previous release's final tag and this one
(commits whose change the previous release already carries, by patch id, are left out, as are the
release commits), grouped as the proposal groups them: features first, then security fixes, then
the other fixes, up to NOTABLE_LIMIT lines. A release manager who prefers to write them gives a
file (--notable): one change per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters.svn import join
from asf_release.context import Context
from asf_release.errors import UsageError
from asf_release.steps import conventional, history
from asf_release.steps.conventional import Group
from asf_release.version import ReleaseKind, Version

NOTABLE_LIMIT = 10
MAX_NOTABLE_FILE = 64 << 10
_ORDER = (Group.FEATURES, Group.SECURITY, Group.FIXES)
_SUBJECT = re.compile(r"^[A-Za-z]+(?:\([^()]*\))?!?:\s*")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Links:
    download: str  # the artifact through closer.lua (the download page)
    signature: str  # .asc on downloads.apache.org
    checksums: list[str]  # .sha512 (and .sha256) on downloads.apache.org
    keys: str  # KEYS on downloads.apache.org
    changelog: str
    website: str
    issues: str
    mailing_list: str


def links(ctx: Context, version: Version) -> Links:
    profile = ctx.profile
    artifact = ctx.names.artifact(version)
    directory = join(profile.dist.downloads_url, ctx.names.release_directory(version))
    return Links(
        download=profile.fmt("dist.download_url", version=str(version), artifact=artifact),
        signature=join(directory, f"{artifact}.asc"),
        checksums=[join(directory, f"{artifact}.{kind}") for kind in profile.source.checksums],
        keys=join(profile.dist.downloads_url, "KEYS"),
        changelog=profile.fmt(
            "project.changelog_url", version=str(version), tag=ctx.names.final_tag(version)
        ),
        website=profile.project.website,
        issues=profile.project.issues_url,
        mailing_list=profile.mail.list_archive_url,
    )


def artifact_url(ctx: Context, version: Version) -> str:
    """The artifact itself on the download servers (what the mirrors must hold)."""
    directory = join(ctx.profile.dist.downloads_url, ctx.names.release_directory(version))
    return join(directory, ctx.names.artifact(version))


def previous_release(ctx: Context, version: Version) -> Version | None:
    """The release this one follows: the line's previous one for a patch release, else the latest
    release of an earlier line."""
    released = [v for v in ctx.names.final_versions(ctx.git.tags()) if v < version]
    if version.kind is ReleaseKind.PATCH:
        released = [v for v in released if v.line == version.line]
    else:
        released = [v for v in released if v.line < version.line]
    return released[-1] if released else None


def notable_from_history(ctx: Context, version: Version) -> list[str]:
    git = ctx.git
    tag = ctx.names.final_tag(version)
    if git.tag_commit(tag) is None:
        raise UsageError(
            f"there is no tag {tag} in this checkout, so the release's changes are unknown",
            f"publish first (asf-release publish {version}), or write them yourself: --notable FILE",
        )
    previous = previous_release(ctx, version)
    releasing = history.release_commit_pattern(ctx.profile)
    shown: dict[str, bool] = {}
    revision_range = tag
    if previous is not None:
        previous_tag = ctx.names.final_tag(previous)
        _, shown = git.cherry_marks(previous_tag, tag)  # False: the previous release has the change
        revision_range = f"{previous_tag}..{tag}"
    chosen: dict[Group, list[str]] = {group: [] for group in _ORDER}
    for commit in history.commits(git, revision_range):
        if not shown.get(commit.sha, True) or releasing.match(commit.subject):
            continue
        kind = conventional.classify(commit.subject, commit.body)
        if kind.group in chosen:
            chosen[kind.group].append(describe(commit.subject))
    return [line for group in _ORDER for line in chosen[group]][:NOTABLE_LIMIT]


def describe(subject: str) -> str:
    """A commit subject as a line of the announcement: no conventional prefix, capitalised."""
    text = _SUBJECT.sub("", subject.strip()).strip() or subject.strip()
    return text[:1].upper() + text[1:]


def notable_from_file(path: Path) -> list[str]:
    """One change per line; list marks ('-', '*', '1.') and blank lines are dropped."""
    if not path.is_file():
        raise UsageError(f"{path} does not exist", "give --notable a text file, one change per line")
    if path.stat().st_size > MAX_NOTABLE_FILE:
        raise UsageError(
            f"{path} is larger than {MAX_NOTABLE_FILE >> 10} KiB", "keep the notable changes short"
        )
    return parse_notable(path.read_text(errors="replace"))


def parse_notable(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        cleaned = "".join(c for c in _BULLET.sub("", line) if c.isprintable()).strip()
        if cleaned:
            found.append(cleaned)
    return found
