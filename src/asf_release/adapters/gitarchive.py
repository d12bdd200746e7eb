"""The formats a source artifact is made in by `git archive`, chosen by the artifact's name, with
the plain command that makes each, so that anyone can make the same bytes again.

gzip and zip are git's own (`--format=tar.gz`, `--format=zip`). For bzip2 and xz git has no
compressor of its own: it pipes its tar through the command that `tar.<format>.command` names,
given here on the command line (`git -c tar.tar.xz.command=... archive`), so the one command a
person pastes gives exactly the bytes of `git archive --format=tar ... | xz -6 --threads=1 -c`.
The settings are fixed: xz's default of several threads (xz 5.6 and later) would split the stream
into blocks whose layout depends on the machine; bzip2's output depends on its block size only.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from asf_release.errors import ToolNotFound


@dataclass(frozen=True)
class SourceFormat:
    kind: str  # what verify's reader calls such content: gzip, zip, bzip2, xz, tar
    suffixes: tuple[str, ...]  # the artifact names that ask for it
    git_format: str  # git archive --format=
    compressor: tuple[str, ...] = ()  # what git pipes its tar through; () when git compresses itself

    def git_args(self, prefix: str, ref: str, output: str | None = None) -> list[str]:
        """The arguments of `git` (without the program's name) that write this format."""
        config = (
            ["-c", f"tar.{self.git_format}.command={shlex.join(self.compressor)}"] if self.compressor else []
        )
        out = [f"--output={output}"] if output else []
        return [*config, "archive", f"--format={self.git_format}", f"--prefix={prefix}", *out, ref]

    def command(self, prefix: str, ref: str, output: str | None = None) -> tuple[str, ...]:
        return ("git", *self.git_args(prefix, ref, output))

    def pipeline(self, prefix: str, ref: str) -> str:
        """The same bytes said the longer way, for people: git's tar, then the compressor."""
        tar = shlex.join(["git", "archive", "--format=tar", f"--prefix={prefix}", ref])
        return (
            f"{tar} | {shlex.join(self.compressor)}"
            if self.compressor
            else shlex.join(self.command(prefix, ref))
        )

    @property
    def reproducible(self) -> str:
        """How its bytes are made, in a few words (for notes and README)."""
        return shlex.join(self.compressor) if self.compressor else f"git archive --format={self.git_format}"


GZIP = SourceFormat("gzip", (".tar.gz", ".tgz"), "tar.gz")
ZIP = SourceFormat("zip", (".zip",), "zip")
BZIP2 = SourceFormat("bzip2", (".tar.bz2",), "tar.bz2", ("bzip2", "-9", "-c"))
XZ = SourceFormat("xz", (".tar.xz",), "tar.xz", ("xz", "-6", "--threads=1", "-c"))
TAR = SourceFormat("tar", (".tar",), "tar")  # what compressed formats are compared by
FORMATS: tuple[SourceFormat, ...] = (GZIP, ZIP, BZIP2, XZ)
DEBIAN_PACKAGES = {"xz": "xz-utils", "bzip2": "bzip2"}
SUPPORTED = ", ".join(suffix for fmt in FORMATS for suffix in fmt.suffixes)


def for_name(name: str) -> SourceFormat | None:
    """The format an artifact's name asks for, or None when `package` cannot make it."""
    lowered = name.lower()
    return next((fmt for fmt in FORMATS if lowered.endswith(fmt.suffixes)), None)


def for_content(kind: str) -> SourceFormat | None:
    """The format of content of this kind (as verify reads it), when git archive can make it."""
    return next((fmt for fmt in (*FORMATS, TAR) if fmt.kind == kind), None)


def require(fmt: SourceFormat) -> None:
    """Its compressor must be installed: git itself would only say that a shell could not find it."""
    if fmt.compressor and shutil.which(fmt.compressor[0]) is None:
        package = DEBIAN_PACKAGES.get(fmt.compressor[0], fmt.compressor[0])
        raise ToolNotFound(
            fmt.compressor[0],
            f"a {fmt.suffixes[0]} archive is git's tar through `{fmt.reproducible}`: "
            f"install it (on Debian: apt-get install {package})",
        )


def archive_argv(ref: str, prefix: str, fmt: SourceFormat | str) -> Sequence[str]:
    """`git archive` of ref in fmt (a SourceFormat, or a format git knows by itself)."""
    chosen = fmt if isinstance(fmt, SourceFormat) else SourceFormat(fmt, (), fmt)
    require(chosen)
    return ["git", *chosen.git_args(prefix, ref)]
