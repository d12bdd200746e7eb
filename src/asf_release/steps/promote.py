"""promote: after the vote passed, copy the voted image index, by digest and with every platform,
to the project's repository under the profile's tags.

The digest is the one the [VOTE] named (the vote step's facts), else the images step's; they must
agree. `latest` moves only when the version is the highest release. With a Docker daemon the
seed's `docker buildx imagetools create` runs, else `skopeo copy --all --preserve-digests`; both
keep the index digest, and afterwards every target tag must name exactly the voted digest. Each
copy is idempotent, so a run stopped between two tags is finished by the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asf_release import crashpoints
from asf_release.adapters import containers, proc
from asf_release.adapters.registry import Reference, Registry, parse_reference
from asf_release.context import Context
from asf_release.errors import Failed, Refused
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.candidate import chosen_rc
from asf_release.steps.images import has_images, no_image_said
from asf_release.steps.voted import vote_outcome
from asf_release.version import Version

LATEST = "latest"


class PromoteStep(Step):
    name = "promote"
    title = "Promote the voted images"

    def __init__(self, version: Version, rc: int | None = None, *, builder: str | None = None) -> None:
        super().__init__(version, rc)
        self.builder = builder

    def command(self) -> str:
        return f"asf-release promote {self.version}"

    def _rc(self, ctx: Context) -> int:
        return chosen_rc(ctx, self.version, self.rc)

    # --- what was voted -----------------------------------------------------------------------
    def passed(self, ctx: Context, rc: int) -> str:
        """How the vote passed and its [RESULT] was sent (steps/voted.py, as for publish and
        status); refuses (exit 1) otherwise."""
        passed, why = vote_outcome(ctx, self.version, rc)
        if not passed:
            raise Failed(
                f"{self.version}-rc{rc} cannot be promoted: {why}; only voted images are promoted",
                f"follow the vote with asf-release tally {self.version} --rc {rc}; once it passed, send the "
                f"result: asf-release result {self.version} --rc {rc} --send",
            )
        return why

    def voted(self, ctx: Context, rc: int) -> Reference:
        history = ctx.ledger.history(self.release)
        images: Mapping[str, Any] = history.facts("images", rc)
        vote: Mapping[str, Any] = history.facts("vote", rc)
        named = str(vote.get("image_digest") or "")
        recorded = str(images.get("digest") or "")
        if not recorded and not named:
            raise Refused(
                f"no image was recorded for {self.version}-rc{rc}",
                f"the images are built before the vote: asf-release images {self.version} --rc {rc} --push",
            )
        if named and recorded and named != recorded:
            raise Refused(
                f"the [VOTE] named the image {named}, and the images step now records {recorded}: "
                "the digest changed after the vote",
                "only the voted digest may be promoted; a new image needs a new candidate and vote",
            )
        source = parse_reference(str(vote.get("image") or images["image"]))
        return Reference(source.registry, source.repository, None, named or recorded)

    def targets(self, ctx: Context) -> list[Reference]:
        repository = parse_reference(ctx.profile.fmt("docker.repository"))
        tags = list(dict.fromkeys(ctx.profile.fmt_list("docker.tags", version=str(self.version))))
        if LATEST in tags and not self._highest(ctx):
            tags.remove(LATEST)
        return [repository.tagged(tag) for tag in tags]

    def _highest(self, ctx: Context) -> bool:
        released = ctx.names.final_versions(ctx.git.tags()) if ctx.root else []
        return all(self.version >= other for other in released)

    def _copy_argv(self, ctx: Context, source: Reference, target: Reference) -> list[str]:
        kind = self.builder or ctx.profile.docker.builder
        if kind == "docker" or (kind == "auto" and containers.docker_ready(ctx.env)):
            return containers.imagetools_argv(source, target)
        return Registry.copy_all_argv(source, target)

    # --- plan / run / done --------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        if not has_images(ctx):
            return Plan(self.name, [], ["the profile builds no image"])
        rc = self._rc(ctx)
        if no_image_said(ctx, self.version, rc):
            return Plan(self.name, [], [f"{self.version}-rc{rc} has no image"])
        how = self.passed(ctx, rc)
        source = self.voted(ctx, rc)
        registry = Registry(ctx.env)
        registry.manifest(source)  # the voted digest must still be there (raises otherwise)
        actions = []
        for target in self.targets(ctx):
            if registry.digest(target) != source.digest:
                actions.append(
                    Action(
                        f"copy {source} with every platform to {target}",
                        tuple(self._copy_argv(ctx, source, target)),
                    )
                )
        notes = [how]
        if not self._highest(ctx):
            notes.append(f"'{LATEST}' stays where it is: {self.version} is not the highest release")
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        rc = self._rc(ctx)
        self.passed(ctx, rc)
        source = self.voted(ctx, rc)
        registry = Registry(ctx.env)
        registry.manifest(source)
        details = []
        staging_tag = self._staging_tag(ctx, rc)
        if staging_tag is not None:
            now = registry.digest(staging_tag)
            if now != source.digest:
                details.append(
                    f"{staging_tag} now names {now or 'nothing'}: the voted {source.digest} is promoted"
                )
        copied = 0
        targets = self.targets(ctx)
        for target in targets:
            if registry.digest(target) == source.digest:
                details.append(f"{target} already names {source.digest}")
                continue
            proc.run(self._copy_argv(ctx, source, target), env=ctx.env, timeout=containers.BUILD_TIMEOUT)
            copied += 1
            crashpoints.reached("promote:copied")
            found = registry.digest(target)
            if found != source.digest:
                raise Failed(
                    f"{target} names {found} after the copy, not the voted {source.digest}",
                    "the copy changed the index (a registry that rewrites manifests?): do not announce this image",
                )
            details.append(f"{target} = {source.digest}")
        facts = {"digest": source.digest, "source": str(source), "targets": [str(t) for t in targets]}
        summary = f"{', '.join(str(t) for t in targets)} name the voted {source.digest}"
        return Outcome(self.name, summary, facts, changed=copied > 0, details=details)

    def _staging_tag(self, ctx: Context, rc: int) -> Reference | None:
        image = ctx.ledger.history(self.release).facts("images", rc).get("image")
        return parse_reference(str(image)) if image else None

    def done(self, ctx: Context) -> Check:
        if not has_images(ctx):
            return Check(State.NOT_APPLICABLE, "the profile builds no image")
        rc = self._rc(ctx)
        if no_image_said(ctx, self.version, rc):
            return Check(State.NOT_APPLICABLE, f"{self.version}-rc{rc} has no image")
        facts = ctx.ledger.history(self.release).facts("promote")
        if not facts.get("digest"):
            return Check(State.PENDING, "the voted images are not promoted yet")
        registry = Registry(ctx.env)
        wrong = [t for t in self.targets(ctx) if registry.digest(t) != facts["digest"]]
        if wrong:
            return Check(
                State.PENDING, f"{', '.join(map(str, wrong))} do not name the voted {facts['digest']}"
            )
        return Check(State.DONE, f"{', '.join(map(str, self.targets(ctx)))} = {facts['digest']}")
