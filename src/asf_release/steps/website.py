"""website: the new version in the website's releases data file, on a branch, for a pull request.

asf-release keeps its own clone of the website repository (website.repository_url, or --repo: a
path or URL) in its state directory, so no checkout of the person's is touched. The change is
one commit on a new branch (website.branch) from the repository's default branch, made with git's
plumbing (no working tree); --push publishes the branch, never forced. Run again it does nothing
once the version is listed on the default branch or on the pushed branch.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters.git import Git
from asf_release.context import Context
from asf_release.errors import ExternalError, Refused
from asf_release.steps import releases_file
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.version import Version

_GITHUB = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)(?P<path>[^/]+/[^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class Look:
    """The website repository as fetched: its default branch and where the version stands."""

    default: str  # the default branch's name
    base: str  # its commit
    on_default: bool  # the default branch lists the version (merged)
    remote_branch: str | None  # the release branch on the website repository, if pushed
    remote_lists: bool
    local_branch: str | None  # the release branch in asf-release's clone
    local_lists: bool


class WebsiteStep(Step):
    name = "website"
    title = "Update the website"

    def __init__(self, version: Version, *, repo: str | None = None, push: bool = False) -> None:
        super().__init__(version)
        self.repo = repo
        self.push = push

    def command(self) -> str:
        return (
            f"asf-release website {self.version}"
            + (f" --repo {self.repo}" if self.repo else "")
            + (" --push" if self.push else "")
        )

    # --- where ----------------------------------------------------------------------------------
    def location(self, ctx: Context) -> str:
        given = self.repo or ctx.profile.website.repository_url
        if "://" not in given and not given.startswith("git@") and Path(given).expanduser().exists():
            return str(Path(given).expanduser().resolve())
        return given

    def clone_path(self, ctx: Context) -> Path:
        location = self.location(ctx)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", location.rstrip("/").rsplit("/", 1)[-1]).strip("-.")
        digest = hashlib.sha256(location.encode()).hexdigest()[:8]
        return ctx.state_dir / "website" / f"{stem or 'website'}-{digest}.git"

    def branch(self, ctx: Context) -> str:
        return ctx.profile.fmt("website.branch", version=str(self.version))

    def pull_request_url(self, ctx: Context) -> str:
        location = self.location(ctx)
        found = _GITHUB.match(location)
        if found:
            web = f"https://github.com/{found['path']}"
        elif location.startswith(("https://", "http://")):
            web = location.removesuffix(".git").rstrip("/")
        else:
            return ""
        return ctx.profile.fmt("website.pull_request_url", repository=web, branch=self.branch(ctx))

    # --- the clone ------------------------------------------------------------------------------
    def git(self, ctx: Context) -> Git:
        return Git(self.clone_path(ctx))

    def fetch(self, ctx: Context) -> Git:
        """asf-release's own bare clone, fetched now (created on first use)."""
        path = self.clone_path(ctx)
        git = Git(path)
        if not (path / "HEAD").is_file():
            path.mkdir(parents=True, exist_ok=True)
            git.run("init", "--quiet", "--bare")
            git.run("remote", "add", "origin", self.location(ctx))
        git.run("fetch", "--quiet", "--prune", "origin", timeout=600, hint=f"check {self.location(ctx)}")
        return git

    def look(self, ctx: Context, git: Git) -> Look:
        default = _default_branch(git)
        base = git.rev(f"refs/remotes/origin/{default}")
        if base is None:
            raise ExternalError(f"{self.location(ctx)} has no branch {default}")
        branch = self.branch(ctx)
        remote_branch = git.rev(f"refs/remotes/origin/{branch}")
        local_branch = git.rev(f"refs/heads/{branch}")
        return Look(
            default,
            base,
            self._lists(ctx, git, base),
            remote_branch,
            remote_branch is not None and self._lists(ctx, git, remote_branch),
            local_branch,
            local_branch is not None and self._lists(ctx, git, local_branch),
        )

    def _content(self, ctx: Context, git: Git, commit: str) -> str:
        path = ctx.profile.website.releases_file
        data = git.show(commit, path)
        if data is None:
            raise Refused(
                f"{self.location(ctx)} has no {path} at {commit[:12]}",
                "check the profile's [website] repository_url and releases_file",
            )
        return data.decode("utf-8")

    def _lists(self, ctx: Context, git: Git, commit: str) -> bool:
        website = ctx.profile.website
        text = self._content(ctx, git, commit)
        return any(
            item.version == str(self.version)
            for item in releases_file.listed(text, website.releases_anchor, website.releases_entry)
        )

    # --- plan / run / done ----------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        git = self.fetch(ctx)
        look = self.look(ctx, git)
        branch, file = self.branch(ctx), ctx.profile.website.releases_file
        if look.on_default:
            return Plan(self.name, [], [f"{look.default} of {self.location(ctx)} lists {self.version}"])
        self._refuse_foreign(ctx, look)
        actions = []
        if not look.remote_lists and not look.local_lists:
            actions.append(
                Action(
                    f"add {self.version} to {file} on a new branch {branch} from {look.default} "
                    f"({look.base[:12]}), one commit",
                    (
                        "git",
                        "commit",
                        "-m",
                        ctx.profile.fmt("website.commit_message", version=str(self.version)),
                    ),
                )
            )
        if self.push and not look.remote_lists:
            actions.append(
                Action(
                    f"push {branch} to {self.location(ctx)}",
                    ("git", "push", self.location(ctx), f"refs/heads/{branch}"),
                )
            )
        notes = [] if self.push else ["add --push to publish the branch"]
        if look.remote_lists:
            notes.append(f"{branch} is pushed; open the pull request: {self._where(ctx)}")
        return Plan(self.name, actions, notes)

    def _refuse_foreign(self, ctx: Context, look: Look) -> None:
        branch = self.branch(ctx)
        for where, commit, lists in (
            (self.location(ctx), look.remote_branch, look.remote_lists),
            ("asf-release's clone", look.local_branch, look.local_lists),
        ):
            if commit is not None and not lists:
                raise Refused(
                    f"{where} has a branch {branch} that does not list {self.version}",
                    "it is someone else's work: remove or rename it, or set website.branch to another name",
                )

    def run(self, ctx: Context) -> Outcome:
        git = self.fetch(ctx)
        look = self.look(ctx, git)
        branch = self.branch(ctx)
        facts: dict[str, object] = {"repository": self.location(ctx), "branch": branch}
        if look.on_default:
            return Outcome(self.name, f"{look.default} already lists {self.version}", facts, changed=False)
        self._refuse_foreign(ctx, look)
        details = []
        if look.remote_lists:
            commit = look.remote_branch
        elif look.local_lists:
            commit = look.local_branch
        else:
            commit, added = self._commit(ctx, git, look)
            details.append(f"committed on {branch} ({commit[:12]}):")
            details += [f"+{line}" for line in added.splitlines()]
        assert commit is not None
        pushed = look.remote_lists
        if self.push and not pushed:
            git.push("origin", [f"refs/heads/{branch}:refs/heads/{branch}"])
            pushed = True
            details.append(f"pushed {branch} to {self.location(ctx)}")
        facts.update(commit=commit, pushed=pushed, pull_request=self.pull_request_url(ctx))
        if pushed:
            summary = f"{branch} is on {self.location(ctx)}: open the pull request: {self._where(ctx)}"
        else:
            summary = f"{branch} is ready in {self.clone_path(ctx)}; add --push to publish it"
        return Outcome(self.name, summary, facts, details=details)

    def _where(self, ctx: Context) -> str:
        return self.pull_request_url(ctx) or f"branch {self.branch(ctx)} of {self.location(ctx)}"

    def _commit(self, ctx: Context, git: Git, look: Look) -> tuple[str, str]:
        """One commit on the release branch, from the default branch, without a working tree."""
        website = ctx.profile.website
        path = website.releases_file
        edit = releases_file.insert(
            self._content(ctx, git, look.base), self.version, website.releases_anchor, website.releases_entry
        )
        assert edit is not None, "look() said the version is not listed"
        mode = git.out("ls-tree", look.base, "--", path).split()[0]
        blob = git.run("hash-object", "-w", "--stdin", input=edit.text).stdout.strip()
        person = ctx.profile.release_manager
        identity: dict[str, str] = {}
        if person.name and person.apache_id:
            email = f"{person.apache_id}@{ctx.profile.mail.announce_sender_domain}"
            identity = {
                "GIT_AUTHOR_NAME": person.name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": person.name,
                "GIT_COMMITTER_EMAIL": email,
            }
        with tempfile.TemporaryDirectory(prefix="asfr-index-") as scratch:
            staged = Git(git.root, {"GIT_INDEX_FILE": str(Path(scratch) / "index"), **identity})
            staged.run("read-tree", look.base)
            staged.run("update-index", "--cacheinfo", f"{mode},{blob},{path}")
            tree = staged.out("write-tree")
            message = ctx.profile.fmt("website.commit_message", version=str(self.version))
            commit = staged.out("commit-tree", tree, "-p", look.base, "-m", message)
        # "" as the old value: only create the branch, never move one that appeared meanwhile
        git.run("update-ref", f"refs/heads/{self.branch(ctx)}", commit, "")
        return commit, edit.added

    def done(self, ctx: Context) -> Check:
        if not (self.clone_path(ctx) / "HEAD").is_file():
            return Check(
                State.PENDING, f"{ctx.profile.website.releases_file} does not list {self.version} yet"
            )
        look = self.look(ctx, self.fetch(ctx))
        if look.on_default:
            return Check(State.DONE, f"the website's {look.default} lists {self.version}")
        if look.remote_lists:
            return Check(State.DONE, f"{self.branch(ctx)} pushed; pull request: {self._where(ctx)}")
        if look.local_lists:
            return Check(State.PENDING, f"{self.branch(ctx)} is committed, not pushed yet")
        return Check(State.PENDING, f"{ctx.profile.website.releases_file} does not list {self.version} yet")


def _default_branch(git: Git) -> str:
    done = git.run("ls-remote", "--symref", "origin", "HEAD", timeout=60)
    for line in done.stdout.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
    for name in ("main", "master"):
        if git.rev(f"refs/remotes/origin/{name}"):
            return name
    raise ExternalError("the website repository names no default branch", "check the repository")
