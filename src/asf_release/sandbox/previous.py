"""The release before the demo's, in dist/release as its release manager left it: the source
artifact of its final tag, signed by that release manager's key, with its SHA-512."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from asf_release.adapters import proc
from asf_release.adapters.gpg import Gpg
from asf_release.version import Names, Version

if TYPE_CHECKING:
    from asf_release.sandbox.environment import Sandbox


def publish(sandbox: Sandbox, version: Version, fingerprint: str) -> None:
    names = Names(sandbox.profile)
    artifact = names.artifact(version)
    directory = f"file://{sandbox.svn.repository}/release/{sandbox.profile.project.short_name}/" + (
        names.release_directory(version)
    )
    with tempfile.TemporaryDirectory(prefix="asfr-previous-") as scratch:
        folder = Path(scratch)
        tarball = folder / artifact
        archive = proc.run(
            [
                "git",
                "archive",
                "--format=tar.gz",
                f"--prefix={names.top_directory(version)}/",
                names.final_tag(version),
            ],
            cwd=sandbox.project_path,
        )
        tarball.write_bytes(archive.data)
        Gpg(sandbox.gnupg).sign_detached(tarball, folder / f"{artifact}.asc", key=fingerprint)
        digest = hashlib.sha512(archive.data).hexdigest()
        (folder / f"{artifact}.sha512").write_text(f"{digest}  {artifact}\n")
        actions = ["mkdir", directory]
        for name in (artifact, f"{artifact}.asc", f"{artifact}.sha512"):
            actions += ["put", str(folder / name), f"{directory}/{name}"]
        proc.run(["svnmucc", "--non-interactive", "--message", f"Release {version}", *actions])
