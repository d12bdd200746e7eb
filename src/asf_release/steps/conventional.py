"""Conventional commits: a commit subject's type, scope and group, the pull requests it names, and
the subject reduced to what stays when a change is backported by hand.

Pure functions, no git: the proposal and the cherry-pick worklist both sort commits with them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

# type(scope)!: description -- scope and "!" (a breaking change) are optional
_SUBJECT = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<breaking>!)?:\s*(?P<text>\S.*)$")
_PULL_REQUEST = re.compile(r"\(#(?P<number>\d{1,9})\)")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_TRAILING_PULL_REQUEST = re.compile(r"\(#(?P<number>\d{1,9})\)$")
_MERGE_PULL_REQUEST = re.compile(r"^Merge pull request #(?P<number>\d{1,9}) from \S")
# what people put before a subject they backport: "[2.10]", "[Backport 2.10]", "backport:", "cherry-pick:"
_BACKPORT_TAG = re.compile(
    r"^(?:\[[^\[\]]{0,40}\]|(?:backport|cherry[- ]?pick(?:ed)?)(?:\s+(?:to\s+)?[\w.]{1,20})?\s*[:-])\s*"
)
_CONVENTIONAL_PREFIX = re.compile(r"^[a-z]{1,20}(?:\([^()]{0,60}\))?!?:\s*")
_NOT_WORDS = re.compile(r"[\s`'\"*_]+")
_MAX_SUBJECT = 1000  # a subject longer than this is compared by its start
SECURITY = "security"


class Group(StrEnum):
    """Where a commit is listed in a proposal, in the order of the proposal."""

    FEATURES = "features"
    FIXES = "fixes"
    SECURITY = "security"
    PERFORMANCE = "performance"
    DOCS = "docs"
    BUILD = "build/ci"
    OTHER = "other"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    Group.FEATURES: "New features",
    Group.FIXES: "Bug fixes",
    Group.SECURITY: "Security fixes",
    Group.PERFORMANCE: "Performance",
    Group.DOCS: "Documentation",
    Group.BUILD: "Build and CI",
    Group.OTHER: "Other changes",
}
_GROUP_OF_TYPE = {
    "feat": Group.FEATURES,
    "feature": Group.FEATURES,
    "fix": Group.FIXES,
    "bugfix": Group.FIXES,
    "security": Group.SECURITY,
    "perf": Group.PERFORMANCE,
    "docs": Group.DOCS,
    "doc": Group.DOCS,
    "build": Group.BUILD,
    "ci": Group.BUILD,
}


@dataclass(frozen=True)
class Kind:
    """What a commit is, read from its message."""

    type: str  # the conventional type, lower case ("" when the subject does not follow the convention)
    scope: str
    breaking: bool
    group: Group


def classify(subject: str, body: str = "") -> Kind:
    """Type, scope and group of a commit.

    A commit is a security fix when its type is `security`, or when it is not a feature and its
    scope is `security` or its subject or body names a CVE (CVE-2024-12345).
    """
    found = _SUBJECT.match(subject.strip())
    if not found:
        group = Group.SECURITY if _CVE.search(subject) or _CVE.search(body) else Group.OTHER
        return Kind("", "", False, group)
    kind = found["type"].lower()
    scope = (found["scope"] or "").strip().lower()
    breaking = bool(found["breaking"]) or "BREAKING CHANGE" in body
    group = _GROUP_OF_TYPE.get(kind, Group.OTHER)
    if group is not Group.FEATURES and (
        scope == SECURITY or _CVE.search(subject) or _CVE.search(body) or kind == SECURITY
    ):
        group = Group.SECURITY
    return Kind(kind, scope, breaking, group)


def is_auto_pick(kind: Kind, auto_pick_types: Collection[str]) -> bool:
    """Whether the commit goes into the release branch without asking: its type is listed, or it
    is a security fix and `security` is listed."""
    wanted = {t.lower() for t in auto_pick_types}
    return kind.type in wanted or (kind.group is Group.SECURITY and SECURITY in wanted)


def is_feature(kind: Kind) -> bool:
    return kind.group is Group.FEATURES


def pull_requests(subject: str) -> list[str]:
    """PR numbers written the way squash merges write them: '(#1234)'."""
    return [m["number"] for m in _PULL_REQUEST.finditer(subject)]


def trailing_pull_requests(subject: str) -> list[str]:
    """The PR numbers a squash merge appends to a subject: the '(#1234)' groups at its very end.

    A backport squashed in its own PR ends with both numbers, 'fix: x (#2614) (#2620)'. A number
    elsewhere names something else: 'Revert "fix: x (#12)" (#15)' is PR 15 only, not PR 12.
    """
    return _cut_trailing_pull_requests(subject)[1]


def _cut_trailing_pull_requests(subject: str) -> tuple[str, list[str]]:
    numbers: list[str] = []
    rest = subject.rstrip()
    while rest.endswith(")"):
        # "(#" + at most 9 digits + ")" is at most 12 characters: look no further back
        found = _TRAILING_PULL_REQUEST.search(rest, max(0, len(rest) - 12))
        if not found:
            break
        numbers.insert(0, found["number"])
        rest = rest[: found.start()].rstrip()
    return rest, numbers


def merged_pull_request(subject: str) -> str | None:
    """The PR number of a merge commit made by GitHub's merge button ('Merge pull request #12 from ...')."""
    found = _MERGE_PULL_REQUEST.match(subject)
    return found["number"] if found else None


def normalise_subject(subject: str) -> str:
    """The subject without what a backport changes: backport tags, the conventional prefix (type and
    scope), the PR numbers at the end, case, quotes, punctuation at the end and spacing.

    'fix(stream): Fix `XPENDING` serialization (#2566)' and '[2.10] fix: fix XPENDING serialization.'
    both give 'fix xpending serialization'. Empty when nothing is left to compare.
    """
    text = _NOT_WORDS.sub(" ", subject[:_MAX_SUBJECT].casefold()).strip()
    while True:  # "[2.10] backport: fix(x): ... (#1) (#2)." peels in rounds; each one shortens it
        before = text
        text = _BACKPORT_TAG.sub("", text, count=1)
        text = _CONVENTIONAL_PREFIX.sub("", text, count=1)
        text, _ = _cut_trailing_pull_requests(text)
        text = text.rstrip(" .;:!-").strip()
        if text == before:
            return text


def split_pull_requests(subject: str) -> list[tuple[str, str | None]]:
    """The subject cut into (text, None) and ('(#N)', N) pieces, for linking the numbers."""
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for found in _PULL_REQUEST.finditer(subject):
        if found.start() > last:
            pieces.append((subject[last : found.start()], None))
        pieces.append((found.group(0), found["number"]))
        last = found.end()
    if last < len(subject):
        pieces.append((subject[last:], None))
    return pieces
