"""Version, release kind (feature X.Y.0 / patch X.Y.Z), and every name the profile derives from them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from asf_release.errors import UsageError
from asf_release.profile import Profile

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ReleaseKind(StrEnum):
    FEATURE = "feature"
    PATCH = "patch"


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.match(text.strip())
        if not match:
            raise UsageError(
                f"'{text}' is not a release version",
                "give MAJOR.MINOR.PATCH with plain numbers, such as 2.11.0 (no 'v', no -rc)",
            )
        major, minor, patch = (int(part) for part in match.groups())
        return cls(major, minor, patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def kind(self) -> ReleaseKind:
        return ReleaseKind.FEATURE if self.patch == 0 else ReleaseKind.PATCH

    @property
    def line(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def placeholders(self) -> dict[str, object]:
        return {"version": str(self), "major": self.major, "minor": self.minor, "patch": self.patch}


def parse_rc(value: int | str) -> int:
    try:
        rc = int(str(value).lower().removeprefix("rc"))
    except ValueError:
        rc = 0
    if rc < 1:
        raise UsageError(f"'{value}' is not a release candidate number", "RC numbers start at 1")
    return rc


@dataclass(frozen=True)
class Names:
    """The names a profile gives to a release's tags, branch, artifacts and directories."""

    profile: Profile

    def release_branch(self, version: Version) -> str:
        return self.profile.fmt("git.release_branch", **version.placeholders())

    def rc_tag(self, version: Version, rc: int) -> str:
        return self.profile.fmt("git.rc_tag", **version.placeholders(), rc=rc)

    def final_tag(self, version: Version) -> str:
        return self.profile.fmt("git.final_tag", **version.placeholders())

    def top_directory(self, version: Version) -> str:
        return self.profile.fmt("source.top_directory", **version.placeholders())

    def artifact(self, version: Version) -> str:
        return self.profile.fmt("source.artifact", **version.placeholders())

    def staging_directory(self, version: Version, rc: int) -> str:
        return self.profile.fmt("dist.staging_directory", **version.placeholders(), rc=rc)

    def release_directory(self, version: Version) -> str:
        return self.profile.fmt("dist.release_directory", **version.placeholders())

    @cached_property
    def _rc_tag_pattern(self) -> re.Pattern[str]:
        return _pattern(self.profile.git.rc_tag)

    @cached_property
    def _final_tag_pattern(self) -> re.Pattern[str]:
        return _pattern(self.profile.git.final_tag)

    @cached_property
    def _artifact_pattern(self) -> re.Pattern[str]:
        return _pattern(self.profile.source.artifact)

    @cached_property
    def _staging_pattern(self) -> re.Pattern[str]:
        return _pattern(self.profile.dist.staging_directory)

    @cached_property
    def _release_pattern(self) -> re.Pattern[str]:
        return _pattern(self.profile.dist.release_directory)

    def parse_release_directory(self, name: str) -> Version | None:
        found = self._release_pattern.match(name)
        return Version.parse(found["version"]) if found and found.groupdict().get("version") else None

    def parse_rc_tag(self, tag: str) -> tuple[Version, int] | None:
        found = self._rc_tag_pattern.match(tag)
        if not found:
            return None
        return Version.parse(found["version"]), int(found["rc"])

    def parse_final_tag(self, tag: str) -> Version | None:
        found = self._final_tag_pattern.match(tag)
        return Version.parse(found["version"]) if found else None

    def parse_artifact(self, name: str) -> Version | None:
        found = self._artifact_pattern.match(name)
        return Version.parse(found["version"]) if found else None

    def parse_staging_directory(self, name: str) -> tuple[Version | None, int | None]:
        found = self._staging_pattern.match(name)
        if not found:
            return None, None
        groups = found.groupdict()
        version = Version.parse(groups["version"]) if groups.get("version") else None
        rc = int(groups["rc"]) if groups.get("rc") else None
        return version, rc

    def final_versions(self, tags: Iterable[str]) -> list[Version]:
        """Released versions among tags, oldest first."""
        return sorted({v for v in (self.parse_final_tag(t) for t in tags) if v is not None})

    def rc_numbers(self, version: Version, tags: Iterable[str]) -> list[int]:
        numbers = []
        for tag in tags:
            parsed = self.parse_rc_tag(tag)
            if parsed and parsed[0] == version:
                numbers.append(parsed[1])
        return sorted(numbers)


_GROUPS = {
    "version": r"(?P<version>\d+\.\d+\.\d+)",
    "rc": r"(?P<rc>\d+)",
    "major": r"(?P<major>\d+)",
    "minor": r"(?P<minor>\d+)",
    "patch": r"(?P<patch>\d+)",
}


def _pattern(template: str) -> re.Pattern[str]:
    """A regex matching what the template produces, with named groups for its placeholders."""
    out = []
    seen: set[str] = set()
    for part in re.split(r"(\{[a-z_]+\})", template):
        name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
        if name in _GROUPS and name not in seen:
            out.append(_GROUPS[name])
            seen.add(name)
        elif name is not None:
            out.append(r"[^/]+?")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")
