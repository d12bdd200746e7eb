"""stage: put a packaged, checked RC in dist/dev in one svn commit, and push its tag.

Only what is needed of dist/dev is checked out (the RC's own directory). Run again with the same
files committed: nothing happens. A directory holding another RC's files is replaced only with
--replace, old files removed in the same commit.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from asf_release import crashpoints
from asf_release.adapters.svn import join
from asf_release.context import Context
from asf_release.errors import Refused
from asf_release.ledger import EventKind
from asf_release.steps import dist
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.package import file_digests
from asf_release.version import Version


class StageStep(Step):
    name = "stage"
    title = "Stage the RC on dist/dev"

    def __init__(self, version: Version, rc: int, *, replace: bool = False) -> None:
        super().__init__(version, rc)
        self.replace = replace

    @property
    def rc_number(self) -> int:
        assert self.rc is not None
        return self.rc

    # --- names ----------------------------------------------------------------------------------
    def directory(self, ctx: Context) -> str:
        return ctx.names.staging_directory(self.version, self.rc_number)

    def url(self, ctx: Context) -> str:
        return join(ctx.profile.dist.dev_url, self.directory(ctx))

    def working_copy(self, ctx: Context) -> Path:
        return ctx.state_dir / "svn" / "dev"

    def tag(self, ctx: Context) -> str:
        return ctx.names.rc_tag(self.version, self.rc_number)

    # --- what package left ----------------------------------------------------------------------
    def packaged(self, ctx: Context) -> dict[str, Any]:
        facts = dict(ctx.ledger.history(self.release).facts("package", self.rc_number))
        if not facts or "out" not in facts:
            raise Refused(
                f"{self.version} rc{self.rc_number} has not been packaged and checked in this checkout",
                f"asf-release package {self.version} --rc {self.rc_number}",
            )
        out = Path(facts["out"])
        missing = [name for name in facts["files"] if not (out / name).is_file()]
        if missing:
            raise Refused(
                f"the packaged files are gone from {out}: {', '.join(missing)}",
                f"package again: asf-release package {self.version} --rc {self.rc_number}",
            )
        tarball = facts["artifacts"][0]
        if file_digests(out / tarball["name"], ["sha512"])["sha512"] != tarball["sha512"]:
            raise Refused(
                f"{tarball['name']} changed since package checked it",
                f"package again: asf-release package {self.version} --rc {self.rc_number}",
            )
        return facts

    def files(self, ctx: Context) -> list[Path]:
        facts = self.packaged(ctx)
        return [Path(facts["out"]) / name for name in facts["files"]]

    # --- the world ------------------------------------------------------------------------------
    def staged(self, ctx: Context, files: list[Path]) -> tuple[bool, list[str]]:
        """(whether dist/dev already holds exactly these files, the names it holds now)."""
        entries = ctx.svn.ls(self.url(ctx))
        if entries is None:
            return False, []
        present = {entry.name: entry.size for entry in entries if entry.kind == "file"}
        same_names = set(present) == {f.name for f in files}
        same_sizes = same_names and all(present[f.name] == f.stat().st_size for f in files)
        if not same_sizes:
            return False, sorted(present)
        small = [f for f in files if f.stat().st_size < 1 << 20]  # checksums and signatures
        for local in small:
            if ctx.svn.cat(join(self.url(ctx), local.name)) != local.read_bytes():
                return False, sorted(present)
        return True, sorted(present)

    def branch_push(self, ctx: Context) -> tuple[str | None, str]:
        """(the refspec that fast-forwards the remote release branch to the tag, or None; why not).

        The release commit travels with the tag; the branch follows only when that is a fast-forward,
        so a branch rebuilt for the next candidate (the release commit dropped) is never forced.
        """
        branch = ctx.names.release_branch(self.version)
        ref = f"refs/heads/{branch}"
        commit = ctx.git.tag_commit(self.tag(ctx))
        remote = ctx.git.remote_refs(ctx.profile.git.remote, ref).get(ref)
        if commit is None or remote == commit:
            return None, ""
        if remote is not None and not (ctx.git.rev(remote) and ctx.git.is_ancestor(remote, commit)):
            return None, f"{ctx.profile.git.remote}/{branch} has commits the candidate lacks: left as it is"
        return f"{commit}:{ref}", ""

    def remote_tag(self, ctx: Context) -> str | None:
        ref = f"refs/tags/{self.tag(ctx)}"
        return ctx.git.remote_refs(ctx.profile.git.remote, ref, ref + "^{}").get(ref)

    # --- plan / run / done ----------------------------------------------------------------------
    def published(self, ctx: Context) -> bool:
        """The candidate is the release now (moved to dist/release): never stage it again. A
        dist/release that cannot be read raises: it is never taken for "not published"."""
        return dist.published(ctx, self.version, self.rc_number)

    def plan(self, ctx: Context) -> Plan:
        if self.published(ctx):
            return Plan(self.name, [], [f"published: {dist.release_url(ctx, self.version)} holds it"])
        files = self.files(ctx)
        url, directory = self.url(ctx), self.directory(ctx)
        staged, present = self.staged(ctx, files)
        actions: list[Action] = []
        notes: list[str] = []
        if not staged:
            stale = sorted(set(present) - {f.name for f in files})
            if stale and not self.replace:
                raise Refused(
                    f"{url} already holds other files: {', '.join(stale)}",
                    "they belong to another candidate; replace them in the same commit with --replace",
                )
            wc = self.working_copy(ctx)
            message = ctx.profile.fmt("dist.stage_message", version=str(self.version), rc=self.rc_number)
            actions.append(
                Action(
                    f"check out only {directory} of {ctx.profile.dist.dev_url}",
                    ("svn", "checkout", "--depth", "empty", ctx.profile.dist.dev_url, str(wc)),
                )
            )
            if stale:
                actions.append(Action(f"remove {', '.join(stale)}", ("svn", "delete", *stale)))
            actions.append(Action(f"add {', '.join(f.name for f in files)}", ("svn", "add", directory)))
            actions.append(Action(f"commit to {url}", ("svn", "commit", "--message", message, directory)))
        else:
            notes.append(f"{url} already holds these files")
        tag, remote = self.tag(ctx), ctx.profile.git.remote
        commit = ctx.git.tag_commit(tag)
        pushed = self.remote_tag(ctx)
        if pushed is None:
            actions.append(Action(f"push {tag} to {remote}", ("git", "push", remote, f"refs/tags/{tag}")))
        elif pushed != commit:
            raise Refused(
                f"{remote} has {tag} on commit {pushed[:12]}, not on {commit[:12] if commit else '?'}",
                "a tag that voters may have seen is never moved: package a new candidate with the next --rc",
            )
        refspec, why_not = self.branch_push(ctx)
        if refspec:
            branch = ctx.names.release_branch(self.version)
            actions.append(Action(f"bring {remote}/{branch} to {tag}", ("git", "push", remote, refspec)))
        elif why_not:
            notes.append(why_not)
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        if self.published(ctx):
            url = dist.release_url(ctx, self.version)
            return Outcome(self.name, f"published: {url} holds it, nothing to stage", {"url": url}, False)
        files = self.files(ctx)
        details: list[str] = []
        facts: dict[str, Any] = {"url": self.url(ctx), "files": [f.name for f in files]}
        staged, present = self.staged(ctx, files)
        if staged:
            facts["revision"] = max(e.revision for e in ctx.svn.ls(self.url(ctx)) or [])
        else:
            facts["revision"] = self._commit(ctx, files, present, details)
        pushed = self.remote_tag(ctx)
        tag = self.tag(ctx)
        if pushed is None:
            ctx.git.push(ctx.profile.git.remote, [f"refs/tags/{tag}"])
            details.append(f"pushed {tag} to {ctx.profile.git.remote}")
        refspec, why_not = self.branch_push(ctx)
        if refspec:
            ctx.git.push(ctx.profile.git.remote, [refspec])
            details.append(
                f"brought {ctx.profile.git.remote}/{ctx.names.release_branch(self.version)} to {tag}"
            )
        elif why_not:
            details.append(why_not)
        facts["tag"] = tag
        return Outcome(
            self.name,
            f"{self.directory(ctx)} staged at {facts['url']} (r{facts['revision']})",
            facts,
            details=details,
        )

    def _commit(self, ctx: Context, files: list[Path], present: list[str], details: list[str]) -> int:
        wc = self.working_copy(ctx)
        url, directory = self.url(ctx), self.directory(ctx)
        if (wc / ".svn").is_dir():
            # whatever an interrupted run scheduled is dropped; the repository is the truth
            ctx.svn.cleanup(wc)
            ctx.svn.revert(wc)
            ctx.svn.update([wc], set_depth="empty")
            leftover = wc / directory
            if leftover.exists() and not (leftover / ".svn").exists():
                shutil.rmtree(leftover)
        else:
            wc.parent.mkdir(parents=True, exist_ok=True)
            ctx.svn.checkout(ctx.profile.dist.dev_url, wc, depth="empty")
        target = wc / directory
        if present:
            ctx.svn.update([target], set_depth="infinity")
            stale = [target / name for name in present if name not in {f.name for f in files}]
            if stale:
                ctx.svn.delete(stale)
                details.append(f"removed {', '.join(p.name for p in stale)}")
        target.mkdir(exist_ok=True)
        for source in files:
            shutil.copyfile(source, target / source.name)
        ctx.svn.add([target, *(target / f.name for f in files)])
        crashpoints.reached("stage:added")
        message = ctx.profile.fmt("dist.stage_message", version=str(self.version), rc=self.rc_number)
        self.record(ctx, EventKind.NOTE, {"svn_commit": url, "files": [f.name for f in files]})
        revision = ctx.svn.commit(wc, message, [target])
        if revision is None:
            raise Refused(
                f"svn had nothing to commit for {url}",
                "run the command again; if it persists, look at the working copy in " + str(wc),
            )
        details.append(f"committed {len(files)} files to {url} (r{revision})")
        return revision

    def expected_names(self, ctx: Context) -> set[str]:
        artifact = ctx.names.artifact(self.version)
        return {artifact, f"{artifact}.asc", *(f"{artifact}.{c}" for c in ctx.profile.source.checksums)}

    def done(self, ctx: Context) -> Check:
        """dist/dev holds the candidate's files (the same bytes, when package's are here) and the tag is
        pushed; or the candidate is published already."""
        if self.published(ctx):
            return Check(State.DONE, f"published: moved to {dist.release_url(ctx, self.version)}")
        entries = ctx.svn.ls(self.url(ctx))
        present = {entry.name for entry in entries or [] if entry.kind == "file"}
        if not self.expected_names(ctx) <= present:
            return Check(State.PENDING, f"{self.url(ctx)} does not hold the candidate yet")
        facts = ctx.ledger.history(self.release).facts("package", self.rc_number)
        local = [Path(facts["out"]) / name for name in facts.get("files", [])] if "out" in facts else []
        if local and all(path.is_file() for path in local) and not self.staged(ctx, local)[0]:
            return Check(State.PENDING, f"{self.url(ctx)} holds other files than the packaged candidate")
        if self.remote_tag(ctx) is None:
            return Check(State.PENDING, f"staged; {self.tag(ctx)} is not pushed yet")
        return Check(State.DONE, f"{self.url(ctx)}, {self.tag(ctx)} pushed")

    def command(self) -> str:
        return f"asf-release stage {self.version} --rc {self.rc}"
