"""publish: the voted candidate becomes the release, in one Subversion commit, then the final tag.

Refuses unless the vote passed and its [RESULT] was sent (steps/voted.py, which status reads too),
and dist/dev holds exactly the files voted on, byte for byte (SHA-512 against the ledger). One
svnmucc commit moves the
candidate's directory from dist/dev to dist/release and removes the releases of the same line that
this one supersedes; it is based on the revision that was checked, so a file changed in between
makes the commit fail rather than publish what nobody voted on. Then the final tag goes on the
voted candidate's commit and is pushed; a final tag that exists on another commit is never moved.

Run again it finishes what is missing: a candidate already in dist/release (moved by an earlier
run or by hand) is not moved again, a tag already made is only pushed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from asf_release import crashpoints
from asf_release.adapters.svn import join, mucc_argv
from asf_release.context import Context
from asf_release.errors import Failed, Refused, ReleaseError
from asf_release.ledger import EventKind
from asf_release.steps import candidate as candidate_module
from asf_release.steps import dist
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.package import checksum_line, file_digests
from asf_release.steps.voted import vote_outcome
from asf_release.version import Version


class PublishStep(Step):
    name = "publish"
    title = "Publish to dist/release"

    def __init__(self, version: Version, rc: int) -> None:
        super().__init__(version, rc)
        self._rc = rc

    def command(self) -> str:
        return f"asf-release publish {self.version} --rc {self._rc}"

    # --- names ----------------------------------------------------------------------------------
    def tag(self, ctx: Context) -> str:
        return ctx.names.final_tag(self.version)

    def message(self, ctx: Context) -> str:
        return ctx.profile.fmt("dist.publish_message", version=str(self.version))

    # --- what must hold before anything moves ---------------------------------------------------
    def vote(self, ctx: Context) -> str:
        """Why the vote counts as passed; refuses (exit 1) when it has not."""
        passed, why = vote_outcome(ctx, self.version, self._rc)
        if not passed:
            raise Failed(
                f"{self.version}-rc{self._rc} cannot be published: {why}",
                f"follow the vote with asf-release tally {self.version} --rc {self._rc}; once it passed, "
                f"send the result: asf-release result {self.version} --rc {self._rc} --send",
            )
        return why

    def candidate(self, ctx: Context) -> candidate_module.Candidate:
        return candidate_module.load(ctx, self.version, self._rc)

    def check_staged(self, ctx: Context, rc: candidate_module.Candidate) -> int:
        """Compare dist/dev with what was voted on, byte for byte; return the revision looked at."""
        url = dist.staging_url(ctx, self.version, self._rc)
        info = ctx.svn.info(url)
        if info is None:
            raise Refused(f"{url} does not exist", f"stage the candidate: asf-release stage {self.version}")
        base = info.revision
        present = dist.files(ctx.svn.ls(f"{url}@{base}"))
        voted = set(rc.files) or set(present)
        missing, added = sorted(voted - set(present)), sorted(set(present) - voted)
        if missing or added:
            problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"not voted on: {', '.join(added)}"] if added else []
            )
            raise Refused(
                f"{url} does not hold exactly the files voted on ({'; '.join(problems)})",
                "restore the voted files in dist/dev, or call a vote on a new candidate",
            )
        expected = self._expected(ctx, rc)
        with tempfile.TemporaryDirectory(prefix="asfr-publish-") as scratch:
            for name in sorted(voted):
                ctx.svn.export(f"{join(url, name)}@{base}", Path(scratch) / name)
            for name in sorted(voted):
                problem = _differs(ctx, Path(scratch), name, expected.get(name), rc)
                if problem:
                    raise Refused(
                        f"{join(url, name)} changed after the vote: {problem}",
                        "publish only what was voted on: restore the file from the candidate, or call a "
                        "vote on a new candidate",
                    )
        return base

    def _expected(self, ctx: Context, rc: candidate_module.Candidate) -> dict[str, str]:
        """name -> SHA-512 the staged file must have: the artifact's from the ledger (the VOTE
        carried it), the others from package's own files when they are still here."""
        expected = {artifact.name: artifact.sha512 for artifact in rc.artifacts}
        out = ctx.ledger.history(self.release).facts("package", self._rc).get("out")
        for name in rc.files:
            local = Path(str(out)) / name if out else None
            if name not in expected and local is not None and local.is_file():
                expected[name] = file_digests(local, ["sha512"])["sha512"]
        return expected

    # --- the world ------------------------------------------------------------------------------
    def tag_state(self, ctx: Context, commit: str) -> tuple[str | None, str | None]:
        """(the commit the final tag names here, and on the remote); refuses one on another commit."""
        tag, remote = self.tag(ctx), ctx.profile.git.remote
        local = ctx.git.tag_commit(tag)
        ref = f"refs/tags/{tag}"
        pushed = ctx.git.remote_refs(remote, ref, ref + "^{}").get(ref)
        for where, found in (("this checkout", local), (remote, pushed)):
            if found is not None and found != commit:
                raise Refused(
                    f"{where} has {tag} on commit {found[:12]}, not on the voted commit {commit[:12]}",
                    "a release tag is never moved: find out who made it and why; if it is wrong, the PMC "
                    "decides how to mend it",
                )
        return local, pushed

    def plan(self, ctx: Context) -> Plan:
        rc = self.candidate(ctx)
        actions: list[Action] = []
        notes = [self.vote(ctx)]
        moved = dist.published(ctx, self.version, self._rc)
        old = dist.superseded(ctx, self.version)
        if moved:
            notes.append(f"{dist.release_url(ctx, self.version)} already holds the release")
            if old:
                actions.append(self._removal(ctx, old))
        else:
            self._refuse_other_release(ctx)
            base = self.check_staged(ctx, rc)
            notes.append(f"dist/dev holds exactly the files voted on (checked at r{base})")
            actions.append(self._move(ctx, old, base))
        for release in old:
            notes.append(f"superseded: {release.url} (it stays on {ctx.profile.dist.archive_url})")
        actions += self._tag_actions(ctx, rc.commit)
        return Plan(self.name, actions, notes)

    def _refuse_other_release(self, ctx: Context) -> None:
        url = dist.release_url(ctx, self.version)
        if ctx.svn.ls(url) is not None:
            raise Refused(
                f"{url} exists and does not hold this candidate",
                "look at what is there (svn ls); a release directory is never overwritten",
            )

    def _move(self, ctx: Context, old: list[dist.Release], base: int | None) -> Action:
        source, target = dist.staging_url(ctx, self.version, self._rc), dist.release_url(ctx, self.version)
        operations = [("mv", source, target), *(("rm", r.url) for r in old)]
        removed = f", removing {', '.join(r.name for r in old)}" if old else ""
        return Action(
            f"move {source} to {target}{removed}, in one commit",
            tuple(mucc_argv(operations, self.message(ctx), base, username=ctx.svn.username)),
        )

    def _removal(self, ctx: Context, old: list[dist.Release]) -> Action:
        operations = [("rm", r.url) for r in old]
        return Action(
            f"remove the superseded {', '.join(r.name for r in old)} from dist/release",
            tuple(mucc_argv(operations, self.message(ctx), username=ctx.svn.username)),
        )

    def _tag_actions(self, ctx: Context, commit: str) -> list[Action]:
        tag, remote = self.tag(ctx), ctx.profile.git.remote
        local, pushed = self.tag_state(ctx, commit)
        actions = []
        if local is None:
            sign = ["--sign"] if ctx.profile.git.sign_tags else ["--annotate"]
            message = ctx.profile.fmt("git.final_tag_message", version=str(self.version))
            actions.append(
                Action(f"tag {commit[:12]} as {tag}", ("git", "tag", *sign, tag, "-m", message, commit))
            )
        if pushed is None:
            actions.append(Action(f"push {tag} to {remote}", ("git", "push", remote, f"refs/tags/{tag}")))
        return actions

    def run(self, ctx: Context) -> Outcome:
        rc = self.candidate(ctx)
        why = self.vote(ctx)
        details = [why]
        old = dist.superseded(ctx, self.version)
        facts: dict[str, object] = {"url": dist.release_url(ctx, self.version), "rc": self._rc}
        if dist.published(ctx, self.version, self._rc):
            details.append(f"{facts['url']} already holds the release")
            revision = self._commit(ctx, [("rm", r.url) for r in old], None) if old else None
        else:
            self._refuse_other_release(ctx)
            base = self.check_staged(ctx, rc)
            details.append(f"dist/dev holds exactly the files voted on (checked at r{base})")
            operations = [
                ("mv", dist.staging_url(ctx, self.version, self._rc), str(facts["url"])),
                *(("rm", r.url) for r in old),
            ]
            revision = self._commit(ctx, operations, base)
            details.append(f"moved {self.version}-rc{self._rc} to {facts['url']} (r{revision})")
        if old:
            details.append(f"removed the superseded {', '.join(r.name for r in old)} from dist/release")
            facts["removed"] = [r.name for r in old]
        if revision is not None:
            facts["revision"] = revision
        crashpoints.reached("publish:moved")
        details += self._tag(ctx, rc.commit)
        facts.update(tag=self.tag(ctx), commit=rc.commit)
        return Outcome(
            self.name,
            f"{self.version} is published at {facts['url']}, tagged {self.tag(ctx)}",
            facts,
            details=details,
        )

    def _commit(self, ctx: Context, operations: list[tuple[str, ...]], base: int | None) -> int | None:
        self.record(ctx, EventKind.NOTE, {"svn_commit": [list(op) for op in operations], "base": base})
        try:
            return ctx.svn.mucc(operations, self.message(ctx), base)
        except ReleaseError as error:
            if base is not None and "out of date" in error.message:
                raise Refused(
                    f"dist/dev changed after it was checked (svn: {error.message.splitlines()[-1]})",
                    "nothing was published: run the command again, and it checks the files once more",
                ) from None
            raise

    def _tag(self, ctx: Context, commit: str) -> list[str]:
        tag, remote = self.tag(ctx), ctx.profile.git.remote
        local, pushed = self.tag_state(ctx, commit)
        details = []
        if local is None:
            message = ctx.profile.fmt("git.final_tag_message", version=str(self.version))
            facts = ctx.ledger.history(self.release).facts("package", self._rc)
            key = ctx.profile.release_manager.signing_key or str(facts.get("signing_key", ""))
            ctx.git.tag_annotated(tag, message, sign=ctx.profile.git.sign_tags, key=key, target=commit)
            details.append(f"tagged {commit[:12]} as {tag}")
        crashpoints.reached("publish:tagged")
        if pushed is None:
            ctx.git.push(remote, [f"refs/tags/{tag}"])
            details.append(f"pushed {tag} to {remote}")
        return details

    def done(self, ctx: Context) -> Check:
        url = dist.release_url(ctx, self.version)
        if not dist.published(ctx, self.version, self._rc):
            return Check(State.PENDING, f"{url} does not hold the release yet")
        facts = ctx.ledger.history(self.release).facts("package", self._rc)
        commit = str(facts.get("commit", "")) or ctx.git.tag_commit(self.tag(ctx)) or ""
        tag = self.tag(ctx)
        try:
            local, pushed = self.tag_state(ctx, commit)
        except Refused as error:
            return Check(State.FAILED, error.message)
        if local is None or pushed is None:
            return Check(State.PENDING, f"in {url}; {tag} is not made and pushed yet")
        return Check(State.DONE, f"{url}, {tag} pushed")


def _differs(
    ctx: Context, folder: Path, name: str, sha512: str | None, rc: candidate_module.Candidate
) -> str | None:
    """Why the staged file is not the one voted on, or None when it is. Without package's own copy,
    a checksum file must name the voted hash and a signature must be the candidate's key's over the
    voted artifact."""
    path = folder / name
    digest = file_digests(path, ["sha512"])["sha512"]
    if sha512 is not None:
        return None if digest == sha512 else f"SHA-512 {digest[:16]}..., voted {sha512[:16]}..."
    artifact = rc.artifacts[0]
    if name == f"{artifact.name}.sha512":
        wanted = checksum_line(artifact.sha512, artifact.name).encode()
        return None if path.read_bytes().strip() == wanted.strip() else "it no longer names the voted hash"
    if name.endswith(".asc"):
        signature = ctx.gpg.verify_detached(path, folder / name.removesuffix(".asc"))
        if not signature.valid:
            return f"its signature does not verify ({signature.status})"
        if not rc.signing_key.upper().endswith(signature.primary_fingerprint.upper()[-16:]):
            return f"signed by {signature.primary_fingerprint}, the candidate by {rc.signing_key}"
        return None
    return "no record of its content to compare with: package the candidate again"
