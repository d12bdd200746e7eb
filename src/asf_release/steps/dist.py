"""Where a release stands on dist: a candidate staged under dist/dev, a release under dist/release.

Stage, publish and status read the same facts here, so a candidate moved to dist/release (by
`publish` or by a person's own `svn mv`) is published for all of them, never staged again.
"""

from __future__ import annotations

from dataclasses import dataclass

from asf_release.adapters.svn import Entry, join
from asf_release.checks import checksums
from asf_release.context import Context
from asf_release.version import Version

MAX_CHECKSUM_BYTES = 64 << 10


@dataclass(frozen=True)
class Release:
    """A release directory in dist/release."""

    name: str
    version: Version
    url: str


def staging_url(ctx: Context, version: Version, rc: int) -> str:
    return join(ctx.profile.dist.dev_url, ctx.names.staging_directory(version, rc))


def release_url(ctx: Context, version: Version) -> str:
    return join(ctx.profile.dist.release_url, ctx.names.release_directory(version))


def files(entries: list[Entry] | None) -> dict[str, Entry]:
    return {entry.name: entry for entry in entries or [] if entry.kind == "file"}


def recorded_sha512(ctx: Context, version: Version, rc: int) -> str | None:
    """The artifact's SHA-512 that `package` recorded for this candidate (and the VOTE carried)."""
    facts = ctx.ledger.history(str(version)).facts("package", rc)
    try:
        return str(facts["artifacts"][0]["sha512"]) or None
    except (KeyError, IndexError, TypeError):
        return None


def released_sha512(ctx: Context, version: Version) -> str | None:
    """The hash the .sha512 file in dist/release gives for the release's artifact, or None."""
    artifact = ctx.names.artifact(version)
    data = ctx.svn.cat(join(release_url(ctx, version), f"{artifact}.sha512"))
    if data is None or len(data) > MAX_CHECKSUM_BYTES:
        return None
    for name, digest in checksums.parse(data.decode(errors="replace")):
        if name in (None, artifact):
            return digest.lower()
    return None


def published(ctx: Context, version: Version, rc: int) -> bool:
    """Whether dist/release holds this candidate as the release: its artifact is there, and when the
    ledger knows the candidate's hash, the published .sha512 names that very hash."""
    names = files(ctx.svn.ls(release_url(ctx, version)))
    if ctx.names.artifact(version) not in names:
        return False
    expected = recorded_sha512(ctx, version, rc)
    return expected is None or released_sha512(ctx, version) == expected


def releases(ctx: Context) -> list[Release]:
    """The release directories in dist/release, oldest version first."""
    found = []
    for entry in ctx.svn.ls(ctx.profile.dist.release_url) or []:
        version = ctx.names.parse_release_directory(entry.name) if entry.kind == "dir" else None
        if version is not None:
            found.append(Release(entry.name, version, join(ctx.profile.dist.release_url, entry.name)))
    return sorted(found, key=lambda release: release.version)


def superseded(ctx: Context, version: Version) -> list[Release]:
    """Releases of the same line older than version: ASF policy keeps only the latest of each line
    in dist/release (the older ones stay on archive.apache.org)."""
    return [r for r in releases(ctx) if r.version.line == version.line and r.version < version]
