"""Which image a verification looks at, and what it expects of it.

The image is the one given (`--image`, from the VOTE mail), else the one the ledger recorded for
this candidate (in the release manager's checkout), else the profile's staging repository tagged
with the version (when the profile names the account).
"""

from __future__ import annotations

from dataclasses import dataclass

from asf_release.adapters.containers import Runtime
from asf_release.adapters.registry import Reference, Registry, parse_reference
from asf_release.context import Context
from asf_release.errors import ReleaseError
from asf_release.verify.image import Expectations, ImageFacts, SourceFiles, open_image
from asf_release.verify.rc import OpenedRC
from asf_release.version import Version


@dataclass(frozen=True)
class Chosen:
    reference: Reference
    origin: str  # "given", "ledger" or "profile"


def reference(ctx: Context, given: str | None, version: Version | None, rc: int | None) -> Chosen | None:
    if given:
        return Chosen(parse_reference(given), "given")
    docker = ctx.profile.docker
    if not docker.platforms or version is None:
        return None
    if ctx.root is not None and rc is not None:
        try:
            facts = ctx.ledger.history(str(version)).facts("images", rc)
        except ReleaseError:
            facts = {}
        if facts.get("image") and facts.get("digest"):
            recorded = parse_reference(str(facts["image"]))
            pinned = Reference(recorded.registry, recorded.repository, recorded.tag, str(facts["digest"]))
            return Chosen(pinned, "ledger")
    user = ctx.profile.release_manager.docker_user
    if user:
        repository = ctx.profile.fmt("docker.staging_repository", docker_user=user)
        return Chosen(parse_reference(f"{repository}:{version}"), "profile")
    return None


def accepted_versions(ctx: Context, version: Version, rc: int | None) -> tuple[str, ...]:
    """What a version label may say: the version, or the candidate's or release's tag."""
    names = ctx.names
    accepted = [str(version), names.final_tag(version)]
    if rc is not None:
        accepted += [names.rc_tag(version, rc), f"{version}-rc{rc}"]
    return tuple(dict.fromkeys(accepted))


def runtime(ctx: Context) -> Runtime | None:
    wanted = ctx.profile.docker.runtime
    return None if wanted == "none" else Runtime.find(ctx.env, wanted)


def open_for_verify(ctx: Context, rc: OpenedRC, image: Chosen, *, run: bool) -> ImageFacts:
    scan = rc.archive
    source = None
    if scan is not None and scan.complete:
        licenses = {
            name.removeprefix("licenses/"): facts.size
            for name, facts in scan.files.items()
            if name.startswith("licenses/") and name.count("/") == 1
        }
        source = SourceFiles({n: t for n, t in scan.texts.items() if n in ("LICENSE", "NOTICE")}, licenses)
    commit = scan.commit if scan is not None and scan.commit else ""
    version = rc.version
    expect = Expectations(
        str(version) if version else "",
        accepted_versions(ctx, version, rc.rc) if version else (),
        commit,
        source,
    )
    return open_image(
        image.reference,
        ctx.profile,
        expect,
        registry=Registry(ctx.env),
        runtime=runtime(ctx) if run else None,
        run=run,
        guessed=image.origin == "profile",
    )
