"""The sandbox's website repository: a releases data file shaped like the project's own.

Written here, not copied: a TypeScript module whose list of versions (newest first, one entry per
release in the profile's website.releases_entry style) feeds a download table.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from asf_release.adapters import proc
from asf_release.profile import Profile
from asf_release.version import Version

_HEAD = """// Licensed to the Apache Software Foundation (ASF) under the Apache License, Version 2.0.
// The releases listed on the download page, newest first.
import React from "react";

const versions = [
"""
_TAIL = """]

function links(version: string) {
    const name = `apache-@SHORT@-${version}-src.tar.gz`;
    return {
        archive: `https://www.apache.org/dyn/closer.lua/@SHORT@/${version}/${name}`,
        checksum: `https://downloads.apache.org/@SHORT@/${version}/${name}.sha512`,
        signature: `https://downloads.apache.org/@SHORT@/${version}/${name}.asc`,
    };
}

export default function Releases(): JSX.Element {
    return <ul>
        {versions.map(({ version }) => {
            const link = links(version);
            return <li key={version}>{version}: <a href={link.archive}>source</a>{" "}
                (<a href={link.checksum}>sha512</a>, <a href={link.signature}>asc</a>)</li>;
        })}
    </ul>;
}
"""


def releases_file(profile: Profile, versions: list[Version]) -> str:
    entries = "".join(profile.website.releases_entry.replace("{version}", str(v)) for v in versions)
    return _HEAD + entries + _TAIL.replace("@SHORT@", profile.project.short_name)


def create(path: Path, profile: Profile, versions: list[Version]) -> None:
    """A bare repository at path whose default branch holds the releases file listing versions."""
    proc.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)])
    with tempfile.TemporaryDirectory(prefix="asfr-website-") as scratch:
        work = Path(scratch)
        target = work / profile.website.releases_file
        target.parent.mkdir(parents=True)
        target.write_text(releases_file(profile, sorted(versions, reverse=True)))
        (work / "README.md").write_text(f"# The {profile.project.product} website (sandbox)\n")
        env = {
            "GIT_AUTHOR_NAME": "Alice Zhang",
            "GIT_AUTHOR_EMAIL": "alice@apache.org",
            "GIT_COMMITTER_NAME": "Alice Zhang",
            "GIT_COMMITTER_EMAIL": "alice@apache.org",
            "GIT_AUTHOR_DATE": "2025-01-27T10:00:00Z",
            "GIT_COMMITTER_DATE": "2025-01-27T10:00:00Z",
        }
        proc.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=work)
        proc.run(["git", "add", "--all"], cwd=work)
        proc.run(["git", "commit", "--quiet", "--message", "The download page"], cwd=work, env=env)
        proc.run(["git", "push", "--quiet", str(path), "main"], cwd=work)
