"""What the vote needs to know about a release candidate, from the ledger: the package and stage
steps' facts (and the images step's, when there is one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from asf_release.context import Context
from asf_release.errors import Refused
from asf_release.version import Version


@dataclass(frozen=True)
class Artifact:
    name: str
    sha512: str
    size: int

    @property
    def size_text(self) -> str:
        size = float(self.size)
        for unit in ("bytes", "KiB", "MiB", "GiB"):
            if size < 1024 or unit == "GiB":
                return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
            size /= 1024
        return f"{self.size} bytes"  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Image:
    reference: str  # "user/project:2.11.0@sha256:..."
    repository: str
    tag: str
    digest: str


@dataclass(frozen=True)
class Candidate:
    version: Version
    rc: int
    tag: str
    commit: str
    artifacts: list[Artifact]
    signing_key: str
    signer: str
    url: str  # the RC directory under dist/dev
    files: list[str]
    image: Image | None


def current_rc(ctx: Context, version: Version) -> int:
    """The newest RC of version anyone worked on: from the ledger, else the tags, else 1."""
    known = [n for n in [ctx.ledger.history(str(version)).rc] if n]
    if ctx.root is not None:
        known += ctx.names.rc_numbers(version, ctx.git.tags())
    return max(known) if known else 1


def chosen_rc(ctx: Context, version: Version, rc: int | None) -> int:
    """The RC a command names, else the current one."""
    return rc if rc is not None else current_rc(ctx, version)


def command_for(step: Literal["package", "stage"], version: Version, rc: int) -> str:
    """The command that runs this candidate's package or stage step, as the step itself says it
    (asked of the step, not of steps/process: process lists the steps, no step imports it)."""
    from asf_release.steps.package import PackageStep
    from asf_release.steps.stage import StageStep

    return (PackageStep if step == "package" else StageStep)(version, rc).command()


def load(ctx: Context, version: Version, rc: int) -> Candidate:
    """The candidate's facts; refuses, naming the command to run, when a step has not run."""
    history = ctx.ledger.history(str(version))
    package = history.facts("package", rc)
    stage = history.facts("stage", rc)
    label = f"{version}-rc{rc}"
    if not package:
        raise Refused(
            f"{label} has not been packaged: the [VOTE] message needs its tag, commit, checksums and key",
            f"run first: {command_for('package', version, rc)}",
        )
    if not stage:
        raise Refused(
            f"{label} has not been staged on dist/dev: the [VOTE] message needs its URL",
            f"run first: {command_for('stage', version, rc)}",
        )
    try:
        artifacts = [
            Artifact(str(a["name"]), str(a["sha512"]), int(a.get("size", 0))) for a in package["artifacts"]
        ]
        candidate = Candidate(
            version=version,
            rc=rc,
            tag=str(package["tag"]),
            commit=str(package["commit"]),
            artifacts=artifacts,
            signing_key=str(package["signing_key"]),
            signer=str(package.get("signer", "")),
            url=str(stage["url"]).rstrip("/"),
            files=[str(f) for f in stage.get("files", [])],
            image=_image(history.facts("images", rc)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise Refused(
            f"the ledger's facts about {label} are incomplete (missing {error})",
            f"run the package and stage steps again: {command_for('package', version, rc)}",
        ) from None
    if not artifacts:
        raise Refused(
            f"the package step recorded no artifact for {label}", command_for("package", version, rc)
        )
    return candidate


def _image(facts: Mapping[str, Any]) -> Image | None:
    if not facts.get("image") or not facts.get("digest"):
        return None
    image, digest = str(facts["image"]), str(facts["digest"])
    repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return Image(f"{image}@{digest}", repository, tag, digest)
