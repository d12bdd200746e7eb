"""images: build the candidate's images from its source release, for every platform, push them to
the release manager's staging repository, and check them as a voter will.

The build context is the packaged source artifact, its SHA-512 checked against the ledger and
unpacked safely: the image holds exactly what is voted on, never a working tree. With a Docker
daemon and buildx the seed's `docker buildx build --platform ... --output type=registry` runs;
otherwise buildah builds one image per platform into a manifest list and pushes it with
`buildah manifest push --all`. The pushed index digest is noted in the ledger as soon as it is
known: a rerun after a crash checks and records it instead of building again, and a rerun after
success does nothing while the registry's tag still names that digest.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from asf_release import crashpoints
from asf_release.adapters import containers, proc
from asf_release.adapters.containers import Builder, BuildRequest
from asf_release.adapters.registry import Reference, Registry, parse_reference
from asf_release.checks import images as image_checks
from asf_release.cmdline import display
from asf_release.context import Context
from asf_release.errors import ConfigError, Failed, Refused, UsageError
from asf_release.ledger import EventKind
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.package import file_digests
from asf_release.verify.image import Expectations, ImageFacts, SourceFiles, open_image
from asf_release.verify.image_source import accepted_versions, runtime
from asf_release.verify.model import Level, Status
from asf_release.verify.scan import ScanOptions, scan
from asf_release.verify.tarstream import Limits
from asf_release.version import Version

CHUNK = 1 << 20
LABELS = (
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.source",
)
NO_IMAGE = "no_image"


def has_images(ctx: Context) -> bool:
    return bool(ctx.profile.docker.platforms)


def no_image_said(ctx: Context, version: Version, rc: int) -> bool:
    """Whether the release manager said this candidate has no image (vote --no-image)."""
    record = ctx.ledger.history(str(version)).step("images", rc)
    return any(event.data.get(NO_IMAGE) for event in record.decisions)


def say_no_image(ctx: Context, version: Version, rc: int) -> None:
    if not no_image_said(ctx, version, rc):
        ctx.ledger.append(str(version), "images", EventKind.DECISION, {NO_IMAGE: True}, rc=rc, at=ctx.now())


def require_for_vote(ctx: Context, version: Version, rc: int, no_image: bool) -> None:
    """The vote's refusal: a project with images votes on them, unless told this release has none."""
    if no_image or not has_images(ctx) or no_image_said(ctx, version, rc):
        return
    facts = ctx.ledger.history(str(version)).facts("images", rc)
    if facts.get("image") and facts.get("digest"):
        return
    raise Refused(
        f"{version}-rc{rc} has no pushed image recorded, and the profile builds images "
        f"({', '.join(ctx.profile.docker.platforms)}): voters are asked to check it",
        f"run first: asf-release images {version} --rc {rc} --push; or, if this release has no image, "
        f"say so: asf-release vote {version} --rc {rc} --no-image",
    )


def staging_repository(ctx: Context) -> Reference:
    profile = ctx.profile
    user = profile.release_manager.docker_user
    template = profile.docker.staging_repository
    if "{docker_user}" in template and not user:
        raise ConfigError(
            "the staging repository needs your Docker account, and none is set",
            "set [release_manager] docker_user in your personal config (~/.config/asf-release/config.toml)",
            key="release_manager.docker_user",
        )
    return parse_reference(profile.fmt("docker.staging_repository", docker_user=user))


class ImagesStep(Step):
    name = "images"
    title = "Candidate Docker images"

    def __init__(
        self,
        version: Version,
        rc: int,
        *,
        push: bool = False,
        builder: str | None = None,
        jobs: int | None = None,
        http_proxy: str | None = None,
        https_proxy: str | None = None,
        run_image: bool = True,
    ) -> None:
        super().__init__(version, rc)
        self.push = push
        self.builder = builder
        self.jobs = jobs
        self.http_proxy = http_proxy
        self.https_proxy = https_proxy
        self.run_image = run_image
        self.checked: list[Any] = []  # the image checks' results, after run

    @property
    def rc_number(self) -> int:
        assert self.rc is not None, "the CLI resolves the RC number"
        return self.rc

    def command(self) -> str:
        return f"asf-release images {self.version} --rc {self.rc} --push"

    # --- what to build ------------------------------------------------------------------------
    def staging(self, ctx: Context) -> Reference:
        return staging_repository(ctx)

    def tags(self, ctx: Context) -> list[Reference]:
        repository = self.staging(ctx)
        names = ctx.profile.fmt_list("docker.tags", version=str(self.version))
        return [repository.tagged(tag) for tag in dict.fromkeys(names)]

    def builder_kind(self, ctx: Context) -> str:
        wanted = self.builder or ctx.profile.docker.builder
        if wanted == "auto":
            return "docker" if containers.docker_ready(ctx.env) else "buildah"
        return wanted

    def job_count(self, ctx: Context) -> int:
        return self.jobs or ctx.profile.docker.jobs or os.cpu_count() or 1

    def build_args(self, ctx: Context) -> list[str]:
        args = ctx.profile.fmt_list("docker.build_args", jobs=self.job_count(ctx))
        for name, value in (
            ("http_proxy", self.http_proxy if self.http_proxy is not None else ctx.profile.docker.http_proxy),
            (
                "https_proxy",
                self.https_proxy if self.https_proxy is not None else ctx.profile.docker.https_proxy,
            ),
        ):
            if value:
                args.append(f"{name}={value}")
        return args

    def packaged(self, ctx: Context) -> Mapping[str, Any]:
        facts = ctx.ledger.history(self.release).facts("package", self.rc_number)
        if not facts or "out" not in facts or not facts.get("artifacts"):
            raise Refused(
                f"{self.version}-rc{self.rc_number} has not been packaged in this checkout: the images are "
                "built from its source release",
                f"run first: asf-release package {self.version} --rc {self.rc_number}",
            )
        return facts

    def artifact(self, ctx: Context) -> Path:
        facts = self.packaged(ctx)
        tarball = facts["artifacts"][0]
        path = Path(str(facts["out"])) / str(tarball["name"])
        if not path.is_file():
            raise Refused(
                f"the packaged source release {path} is gone",
                f"package again: asf-release package {self.version} --rc {self.rc_number}",
            )
        return path

    def work(self, ctx: Context) -> Path:
        return ctx.state_dir / "images" / f"{self.version}-rc{self.rc_number}"

    def request(self, ctx: Context, tree: Path) -> BuildRequest:
        labels = self.labels(ctx)
        return BuildRequest(
            context=tree,
            dockerfile=tree / ctx.profile.docker.dockerfile,
            platforms=list(ctx.profile.docker.platforms),
            tags=self.tags(ctx),
            build_args=self.build_args(ctx),
            push=self.push,
            manifest=f"asf-release-{ctx.profile.project.short_name}-{self.version}-rc{self.rc_number}",
            labels=labels,
        )

    def labels(self, ctx: Context) -> list[str]:
        commit = str(self.packaged(ctx).get("commit", ""))
        values = (str(self.version), commit, ctx.profile.project.repository_url)
        return [f"{key}={value}" for key, value in zip(LABELS, values, strict=True) if value]

    # --- the world ----------------------------------------------------------------------------
    def recorded(self, ctx: Context) -> Mapping[str, Any]:
        return ctx.ledger.history(self.release).facts("images", self.rc_number)

    def noted_push(self, ctx: Context) -> str | None:
        """The digest an earlier run pushed (noted before its checks), if any."""
        record = ctx.ledger.history(self.release).step("images", self.rc_number)
        pushed = [str(n.data["pushed"]) for n in record.notes if n.data.get("pushed")]
        return pushed[-1] if pushed else None

    def current(self, ctx: Context) -> str | None:
        return Registry(ctx.env).digest(self.tags(ctx)[0])

    # --- plan / run / done --------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        if not has_images(ctx):
            return Plan(self.name, [], ["the profile builds no image (docker.platforms is empty)"])
        artifact = self.artifact(ctx)
        tags = self.tags(ctx)
        if self.push:
            recorded = self.recorded(ctx)
            now = self.current(ctx)
            if recorded.get("digest") and now == recorded["digest"]:
                return Plan(self.name, [], [f"{tags[0]} is the recorded {now}"])
            noted = self.noted_push(ctx)
            if noted and now == noted:
                return Plan(
                    self.name, [Action(f"check {tags[0]}@{now}, pushed by an earlier run, and record it")]
                )
        tree = self.work(ctx) / ctx.names.top_directory(self.version)
        request = self.request(ctx, tree)
        actions = [
            Action(
                f"unpack {artifact.name} (its SHA-512 checked against the ledger) into {self.work(ctx)}",
                ("tar", "-xzf", str(artifact), "-C", str(self.work(ctx))),
            )
        ]
        prepare = ctx.profile.docker.prepare_command
        if prepare:
            argv = self._prepare_argv(ctx)
            # `env -C DIR` runs it in the unpacked tree as one pasteable command, unlike `cd DIR && ...`
            actions.append(
                Action(f"prepare the build context: {display(argv)}", ("env", "-C", str(tree), *argv))
            )
        kind = self.builder_kind(ctx)
        if kind == "docker":
            actions.append(
                Action(
                    f"build {', '.join(request.platforms)} with docker buildx"
                    + (f" and push {', '.join(map(str, tags))}" if self.push else ""),
                    tuple(containers.buildx_argv(request)),
                )
            )
        else:
            for platform, argv in zip(request.platforms, containers.buildah_argvs(request), strict=True):
                actions.append(Action(f"build {platform} with buildah", tuple(argv)))
            if self.push:
                for tag in tags:
                    actions.append(
                        Action(
                            f"push the manifest list with every image to {tag}",
                            tuple(containers.buildah_push_argv(request.manifest, tag)),
                        )
                    )
        notes = []
        if self.push:
            actions.append(
                Action(
                    "check the pushed images as a voter will (image-platforms, -licenses, -version, -runs)"
                )
            )
        else:
            notes.append("add --push to push them to " + str(self.staging(ctx)) + " and check them")
        return Plan(self.name, actions, notes)

    def _prepare_argv(self, ctx: Context) -> list[str]:
        command = ctx.profile.fmt("docker.prepare_command", jobs=self.job_count(ctx))
        try:
            return shlex.split(command)
        except ValueError as error:
            raise ConfigError(f"cannot split the command ({error})", key="docker.prepare_command") from None

    def run(self, ctx: Context) -> Outcome:
        if not has_images(ctx):
            return Outcome(self.name, "the profile builds no image", changed=False)
        self._refuse_after_vote(ctx)
        tags = self.tags(ctx)
        details: list[str] = []
        digest = None
        noted = self.noted_push(ctx) if self.push else None
        if noted and self.current(ctx) == noted:
            digest = noted
            details.append(f"{tags[0]} was pushed by an earlier run as {noted}: not built again")
        else:
            tree = self._unpack(ctx)
            self._prepare(ctx, tree)
            kind = self.builder_kind(ctx)
            request = self.request(ctx, tree)
            digest = Builder(kind, ctx.env).build(request)
            details.append(
                f"built {', '.join(request.platforms)} with {'docker buildx' if kind == 'docker' else 'buildah'}"
            )
            if not self.push:
                return Outcome(
                    self.name,
                    f"built {len(request.platforms)} images; not pushed (add --push)",
                    {"pushed": False, "builder": kind},
                    details=details,
                )
            digest = digest or self.current(ctx)
            if not digest:
                raise Failed(f"{tags[0]} is not in the registry after the push", "run the command again")
            self.record(ctx, EventKind.NOTE, {"pushed": digest, "image": str(tags[0])})
            crashpoints.reached("images:pushed")
            details.append(f"pushed {', '.join(str(t) for t in tags)}: {digest}")
        facts = self._check(ctx, digest, details)
        return Outcome(self.name, f"{tags[0]}@{digest} built, pushed and checked", facts, details=details)

    def _refuse_after_vote(self, ctx: Context) -> None:
        from asf_release.steps import mailing
        from asf_release.steps.vote import VoteStep

        recorded = self.recorded(ctx)
        sent = mailing.mail_state(ctx, VoteStep(self.version, self.rc_number)).sent_at
        if sent is not None and recorded.get("digest"):
            raise Refused(
                f"the [VOTE] on {self.version}-rc{self.rc_number} already names {recorded['digest']}",
                "voters are checking that image: build a new one only for a new candidate (--rc N+1)",
            )

    def _unpack(self, ctx: Context) -> Path:
        artifact = self.artifact(ctx)
        expected = self.packaged(ctx)["artifacts"][0]["sha512"]
        if file_digests(artifact, ["sha512"])["sha512"] != expected:
            raise Refused(
                f"{artifact.name} changed since package checked it",
                f"package again: asf-release package {self.version} --rc {self.rc_number}",
            )
        work = self.work(ctx)
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        checks = ctx.profile.checks
        options = ScanOptions(
            top=ctx.names.top_directory(self.version),
            limits=Limits(checks.max_members, checks.max_unpacked_mb << 20, checks.max_compression_ratio),
            blobs=False,
            extract_to=work,
            spool_dir=work,
        )
        scanned = scan(artifact.name, _chunks(artifact), options)
        unsafe = [p for p in scanned.problems if p.level is Level.FAIL]
        if not scanned.complete or unsafe or scanned.extracted is None:
            reason = scanned.stopped or (unsafe[0].message if unsafe else "it could not be unpacked")
            raise Refused(
                f"{artifact.name} cannot be used as the build context: {reason}",
                "package the candidate again",
            )
        return scanned.extracted

    def _prepare(self, ctx: Context, tree: Path) -> None:
        if ctx.profile.docker.prepare_command:
            proc.run(self._prepare_argv(ctx), cwd=tree, env=ctx.env, timeout=containers.BUILD_TIMEOUT)

    def _check(self, ctx: Context, digest: str, details: list[str]) -> dict[str, Any]:
        tag = self.tags(ctx)[0]
        package = self.packaged(ctx)
        tree = self.work(ctx) / ctx.names.top_directory(self.version)
        source = SourceFiles.from_tree(tree) if tree.is_dir() else None
        expect = Expectations(
            str(self.version),
            accepted_versions(ctx, self.version, self.rc_number),
            str(package.get("commit", "")),
            source,
        )
        facts: ImageFacts = open_image(
            Reference(tag.registry, tag.repository, tag.tag, digest),
            ctx.profile,
            expect,
            registry=Registry(ctx.env),
            runtime=runtime(ctx) if self.run_image else None,
            run=self.run_image,
        )
        results = image_checks.run_all(facts)
        self.checked = results
        for result in results:
            details.append(
                f"{result.id}: {result.status.value}" + (f" ({result.summary})" if result.summary else "")
            )
        failed = [r for r in results if r.status is Status.FAIL]
        if failed:
            first = next(f for r in failed for f in r.findings if f.level is Level.FAIL)
            raise Failed(
                f"the pushed images fail {', '.join(r.id for r in failed)}: {first.path}: {first.message}",
                "fix the Dockerfile or the source and make a new candidate; `asf-release verify --image` shows every finding",
            )
        return {
            "image": str(tag),
            "digest": digest,
            "tags": [str(t) for t in self.tags(ctx)],
            "platforms": {str(i.platform): i.reference.digest for i in facts.images},
            "checks": {r.id: r.status.value for r in results},
        }

    def done(self, ctx: Context) -> Check:
        if not has_images(ctx):
            return Check(State.NOT_APPLICABLE, "the profile builds no image")
        if no_image_said(ctx, self.version, self.rc_number):
            return Check(State.NOT_APPLICABLE, "the release manager said this candidate has no image")
        recorded = self.recorded(ctx)
        if not recorded.get("digest"):
            return Check(State.PENDING, "no image pushed and checked yet")
        now = self.current(ctx)
        if now == recorded["digest"]:
            return Check(State.DONE, f"{recorded['image']}@{now}")
        if now is None:
            return Check(State.PENDING, f"{recorded['image']} is no longer in the registry")
        return Check(
            State.PENDING, f"{recorded['image']} now names {now}, not the recorded {recorded['digest']}"
        )


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def usage_builder(value: str | None) -> str | None:
    if value not in (None, "docker", "buildah"):
        raise UsageError(f"--builder is 'docker' or 'buildah', not '{value}'")
    return value
