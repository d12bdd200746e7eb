"""Profile: every project-specific name, URL, rule and template.

Layers, later ones winning: the built-in profile named by `profile = "..."` (default: the one
profiles/rules/defaults.toml names), the project's asf-release.toml, the person's config file.
A profile chosen on the command line (`verify --profile NAME|FILE`) replaces the project's file.
Each layer is checked against the schema below on its own, so an error names the file that holds
the mistake.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from asf_release.errors import ConfigError

PROJECT_FILE = "asf-release.toml"


@functools.cache
def _defaults() -> dict[str, str]:
    text = (resources.files("asf_release") / "profiles" / "rules" / "defaults.toml").read_text()
    return {key: str(value) for key, value in tomllib.loads(text).items()}


DEFAULT_PROFILE = _defaults()["checkout"]
NO_CHECKOUT_PROFILE = _defaults()["no_checkout"]  # verify's, for a voter with nothing set up
USER_CONFIG_ENV = "ASF_RELEASE_CONFIG"

# Placeholders resolved when the profile loads, from [project].
STATIC_PLACEHOLDERS = ("product", "short_name", "repository_url", "website")
# Placeholders filled in by the step that uses the string.
RUNTIME_PLACEHOLDERS = frozenset(
    {
        "version",
        "rc",
        "major",
        "minor",
        "patch",
        "tag",
        "top_directory",
        "artifact",
        "name",
        "number",
        "sha",
        "thread_id",
        "docker_user",
        "jobs",
        "repository",
        "digest",
        "branch",
    }
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ProjectSection:
    product: str
    short_name: str
    description: str
    website: str
    repository_url: str
    issues_url: str
    changelog_url: str
    verify_guide_url: str


@dataclass(frozen=True)
class GitSection:
    remote: str
    unstable_branch: str
    release_branch: str
    rc_tag: str
    final_tag: str
    rc_tag_message: str
    final_tag_message: str
    tag_url: str
    commit_url: str
    pull_request_url: str
    sign_tags: bool


@dataclass(frozen=True)
class VersionFileSection:
    path: str
    unstable_value: str
    commit_message: str


@dataclass(frozen=True)
class SourceSection:
    artifact: str
    top_directory: str
    checksums: list[str]
    package_command: str


@dataclass(frozen=True)
class DistSection:
    dev_url: str
    release_url: str
    staging_directory: str
    release_directory: str
    keys_url: str
    stage_message: str
    publish_message: str
    keys_message: str
    download_url: str
    downloads_url: str
    archive_url: str


@dataclass(frozen=True)
class MailSection:
    dev_list: str
    announce_to: list[str]
    announce_cc: list[str]
    announce_sender_domain: str
    proposal_subject: str
    vote_subject: str
    result_subject: str
    announce_subject: str
    list_archive_url: str
    thread_url: str
    ponymail_api: str


@dataclass(frozen=True)
class SmtpSection:
    host: str
    port: int
    security: str
    user: str
    sender: str


@dataclass(frozen=True)
class ReleaseManagerSection:
    name: str
    apache_id: str
    signing_key: str
    gnupg_home: str
    docker_user: str
    key_algorithm: str
    keyserver: str


@dataclass(frozen=True)
class VoteSection:
    rule: str
    min_binding_approvals: int
    min_hours: int
    roster: str
    committee: str
    thread: str
    max_thread_seconds: int


@dataclass(frozen=True)
class ProposalSection:
    cherry_pick_days: int
    auto_pick_types: list[str]


@dataclass(frozen=True)
class DockerSection:
    repository: str
    staging_repository: str
    platforms: list[str]
    dockerfile: str
    tags: list[str]
    license_paths: list[str]
    build_args: list[str]
    image_url: str
    builder: str
    runtime: str
    jobs: int
    http_proxy: str
    https_proxy: str
    prepare_command: str
    version_command: list[str]
    smoke_command: list[str]
    smoke_expect: str
    smoke_timeout_seconds: int


@dataclass(frozen=True)
class ChecksSection:
    header_configs: list[str]
    allowed_binaries: list[str]
    max_download_mb: int
    max_members: int
    max_unpacked_mb: int
    max_compression_ratio: int
    max_download_seconds: int


@dataclass(frozen=True)
class BuildSection:
    command: str
    test_command: str
    timeout_minutes: int
    required_tools: list[str]
    network: bool
    isolation: str


@dataclass(frozen=True)
class WebsiteSection:
    repository_url: str
    releases_file: str
    releases_anchor: str
    releases_entry: str
    branch: str
    commit_message: str
    pull_request_url: str


@dataclass(frozen=True)
class TemplatesSection:
    proposal: str
    vote: str
    result: str
    announce: str
    vote_reply: str


# Values a key may take, beyond its type.
_CHOICES: dict[str, tuple[str, ...]] = {
    "smtp.security": ("starttls", "ssl", "none"),
    "vote.rule": (),  # the rules in profiles/rules/vote.toml: see vote_rules()
    "source.checksums": ("sha512", "sha256"),
    "build.isolation": ("auto", "bubblewrap", "none"),
    "release_manager.key_algorithm": ("rsa4096", "rsa3072", "ed25519"),
    "docker.builder": ("auto", "docker", "buildah"),
    "docker.runtime": ("auto", "podman", "docker", "none"),
}

# The range of every whole number, ends included, checked with the other profile errors. A vote
# follows ASF release policy: at least three binding +1 after at least 72 hours; a profile may ask
# more, never less (a shorter or smaller vote is `result --force --reason`, not a setting).
RANGES: dict[str, tuple[int, int]] = {
    "smtp.port": (1, 65535),
    "vote.min_binding_approvals": (3, 100),
    "vote.min_hours": (72, 720),
    "vote.max_thread_seconds": (1, 24 * 3600),
    "proposal.cherry_pick_days": (0, 365),
    "checks.max_download_mb": (0, 1 << 20),
    "checks.max_members": (1, 100_000_000),
    "checks.max_unpacked_mb": (1, 1 << 24),
    "checks.max_compression_ratio": (1, 1_000_000),
    "checks.max_download_seconds": (1, 7 * 24 * 3600),
    "build.timeout_minutes": (1, 7 * 24 * 60),
    "docker.jobs": (0, 1024),
    "docker.smoke_timeout_seconds": (1, 3600),
}


@dataclass(frozen=True)
class Profile:
    name: str
    project: ProjectSection
    git: GitSection
    version_file: VersionFileSection
    source: SourceSection
    dist: DistSection
    mail: MailSection
    smtp: SmtpSection
    release_manager: ReleaseManagerSection
    vote: VoteSection
    proposal: ProposalSection
    docker: DockerSection
    checks: ChecksSection
    build: BuildSection
    website: WebsiteSection
    templates: TemplatesSection
    # Files layered over the built-in profile, in order, and which file set each key.
    sources: tuple[str, ...] = ()
    origins: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None

    def value(self, key: str) -> Any:
        """The value of a dotted key such as 'git.rc_tag'."""
        section, _, name = key.partition(".")
        return getattr(getattr(self, section), name)

    def fmt(self, key: str, **values: object) -> str:
        """Fill a template key's runtime placeholders, e.g. fmt('git.rc_tag', version=v, rc=1)."""
        template = self.value(key)
        if not isinstance(template, str):
            raise TypeError(f"{key} is not a string")
        return fill(template, values, key=key, file=self.origins.get(key))

    def fmt_list(self, key: str, **values: object) -> list[str]:
        items = self.value(key)
        return [fill(item, values, key=key, file=self.origins.get(key)) for item in items]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dataclasses.asdict(getattr(self, name)) for name in _section_types()}


def fill(template: str, values: Mapping[str, object], *, key: str, file: str | None = None) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ConfigError(
                f"the placeholder {{{name}}} has no value where this key is used",
                "placeholders this key can use are listed beside it in the built-in profile "
                "(asf-release init writes them)",
                file=file or "profile",
                key=key,
            )
        return str(values[name])

    return _PLACEHOLDER.sub(replace, template)


@functools.cache
def _section_types() -> dict[str, type[Any]]:
    hints = typing.get_type_hints(Profile)
    return {
        name: hint
        for name, hint in hints.items()
        if isinstance(hint, type) and dataclasses.is_dataclass(hint)
    }


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}


def _field_types(section: type[Any]) -> dict[str, Any]:
    if section not in _FIELD_TYPES:
        _FIELD_TYPES[section] = typing.get_type_hints(section)
    return _FIELD_TYPES[section]


@functools.cache
def vote_rules() -> dict[str, bool]:
    """Each vote rule a profile can pick, and whether a binding -1 vetoes under it."""
    file = "built-in profiles/rules/vote.toml"
    text = (resources.files("asf_release") / "profiles" / "rules" / "vote.toml").read_text()
    return check_vote_rules(_parse(text, file), file)


def check_vote_rules(rules: Mapping[str, Any], file: str) -> dict[str, bool]:
    """The rules file holds tables with exactly one key, `veto`, true or false."""
    checked: dict[str, bool] = {}
    for name, rule in rules.items():
        if not isinstance(rule, dict) or set(rule) != {"veto"}:
            raise ConfigError("expected a table with one key, veto = true or false", file=file, key=name)
        if not isinstance(rule["veto"], bool):
            raise ConfigError(
                f"expected true or false, found {_show(rule['veto'])}", file=file, key=f"{name}.veto"
            )
        checked[name] = rule["veto"]
    return checked


def builtin_names() -> list[str]:
    folder = resources.files("asf_release") / "profiles"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    if name not in builtin_names():
        raise ConfigError(
            f"there is no built-in profile named '{name}'",
            f"built-in profiles: {', '.join(builtin_names())}",
            key="profile",
        )
    return (resources.files("asf_release") / "profiles" / f"{name}.toml").read_text()


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    named = env.get(USER_CONFIG_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"{USER_CONFIG_ENV} names {path}, which does not exist",
                f"create it or unset {USER_CONFIG_ENV}",
            )
        return path
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = base / "asf-release" / "config.toml"
    return path if path.is_file() else None


def load(
    root: Path | None = None, *, env: Mapping[str, str] | None = None, chosen: str | None = None
) -> Profile:
    """The effective profile for a project checkout (or for no project at all). `chosen` names a
    built-in profile or a profile file (TOML, the shape of asf-release.toml, its own base named by
    `profile = "..."`, else the no-checkout profile); it replaces the project's asf-release.toml."""
    layers: list[tuple[str, dict[str, Any], str]] = []
    project_file = root / PROJECT_FILE if root else None
    base = DEFAULT_PROFILE
    if chosen is not None:
        base, layer = _chosen(chosen)
        layers += layer
    elif project_file and project_file.is_file():
        text = _read_text(project_file)
        data = _parse(text, str(project_file))
        base = _take_base_name(data, str(project_file))
        layers.append((str(project_file), data, text))
    user_file = user_config_path(env)
    if user_file:
        text = _read_text(user_file)
        data = _parse(text, str(user_file))
        if "profile" in data:
            raise ConfigError(
                "the base profile is chosen by the project, not by a personal config file",
                f"move 'profile' to {PROJECT_FILE} at the project root",
                file=str(user_file),
                key="profile",
            )
        layers.append((str(user_file), data, text))

    # Every built-in profile stands on the generic one: a key a project profile does not set
    # takes the generic value, so no built-in can lack a key.
    merged = _parse(builtin_text(NO_CHECKOUT_PROFILE), f"built-in profile {NO_CHECKOUT_PROFILE}")
    if base != NO_CHECKOUT_PROFILE:
        for section, values in _parse(builtin_text(base), f"built-in profile {base}").items():
            merged.setdefault(section, {}).update(values)
    origins: dict[str, str] = {}
    for file, data, text in layers:
        _validate(data, file, text)
        for section, values in data.items():
            for key, value in values.items():
                merged[section][key] = value
                origins[f"{section}.{key}"] = file
    _resolve_static(merged)
    _check_placeholders(merged, origins)
    sections = {name: kind(**merged[name]) for name, kind in _section_types().items()}
    return Profile(
        name=base,
        sources=tuple(file for file, _, _ in layers),
        origins=origins,
        root=root,
        **sections,
    )


def _chosen(chosen: str) -> tuple[str, list[tuple[str, dict[str, Any], str]]]:
    """The base and layers of a profile named on the command line: a built-in name or a file."""
    if chosen in builtin_names():
        return chosen, []
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"'{chosen}' is neither a built-in profile nor a profile file",
            f"built-in profiles: {', '.join(builtin_names())}; or give the path of a TOML file "
            f"shaped like {PROJECT_FILE} (asf-release init writes one)",
            key="profile",
        )
    text = _read_text(path)
    data = _parse(text, str(path))
    data.setdefault("profile", NO_CHECKOUT_PROFILE)
    return _take_base_name(data, str(path)), [(str(path), data, text)]


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"this file cannot be read ({error.strerror or error})", "check its permissions", file=str(path)
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"this file is not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})",
            "TOML files are UTF-8: save it again as UTF-8 (iconv -f latin1 -t utf-8 FILE)",
            file=str(path),
            line=data.count(b"\n", 0, error.start) + 1,
        ) from None


def _parse(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _error_line(str(exc))
        raise ConfigError(
            f"this is not valid TOML ({exc})",
            "fix the syntax; `asf-release init` shows the expected shape",
            file=file,
            line=line,
        ) from None


def _error_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _take_base_name(data: dict[str, Any], file: str) -> str:
    name = data.pop("profile", DEFAULT_PROFILE)
    if not isinstance(name, str):
        raise ConfigError("expected the name of a built-in profile (a string)", file=file, key="profile")
    builtin_text(name)  # raises with the list of names when unknown
    return name


def _validate(data: dict[str, Any], file: str, text: str) -> None:
    sections = _section_types()
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(
                "unknown section",
                f"sections are: {', '.join(sections)}",
                file=file,
                key=section,
                line=_line_of(text, None, section),
            )
        if not isinstance(values, dict):
            raise ConfigError(
                f"expected a table [{section}]",
                file=file,
                key=section,
                line=_line_of(text, None, section),
            )
        hints = _field_types(sections[section])
        for key, value in values.items():
            dotted = f"{section}.{key}"
            if key not in hints:
                raise ConfigError(
                    "unknown key",
                    f"keys of [{section}] are: {', '.join(hints)}",
                    file=file,
                    key=dotted,
                    line=_line_of(text, section, key),
                )
            problem = _type_problem(value, hints[key], dotted)
            if problem:
                raise ConfigError(problem, file=file, key=dotted, line=_line_of(text, section, key))


def _type_problem(value: object, hint: object, key: str) -> str | None:
    expected = _describe(hint)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    elif typing.get_origin(hint) is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:  # pragma: no cover - the schema only uses the types above
        raise TypeError(f"unsupported schema type {hint!r}")
    if not ok:
        return f"expected {expected}, found {_show(value)}"
    if key in RANGES and isinstance(value, int):
        low, high = RANGES[key]
        if value < low:
            return f"expected at least {low}, found {value}"
        if value > high:
            return f"expected at most {high}, found {_show(value)}"
    choices = tuple(vote_rules()) if key == "vote.rule" else _CHOICES.get(key)
    if choices:
        given = value if isinstance(value, list) else [value]
        wrong = [item for item in given if item not in choices]
        if wrong:
            return f"expected one of {', '.join(choices)}, found {_show(wrong[0])}"
    return None


def _describe(hint: object) -> str:
    if typing.get_origin(hint) is list:
        return "a list of strings"
    names: dict[object, str] = {bool: "true or false", int: "a whole number", str: "a string"}
    return names.get(hint, str(hint))


def _show(value: object) -> str:
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    kind = kinds.get(type(value), type(value).__name__)
    return f"{kind} ({json.dumps(value, default=str)[:60]})"


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """Best-effort line number of a key (or a section header when section is None)."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[([^\]]+)\]", stripped)
        if header:
            current = header.group(1).strip()
            if section is None and current == key:
                return number
            continue
        if section is not None and current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def _resolve_static(merged: dict[str, Any]) -> None:
    project = merged["project"]
    static: dict[str, str] = {}
    for name in STATIC_PLACEHOLDERS:
        static[name] = _substitute(project[name], static)
    for values in merged.values():
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = _substitute(value, static)
            elif isinstance(value, list):
                values[key] = [_substitute(item, static) for item in value]


def _substitute(text: str, known: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), text)


def _check_placeholders(merged: dict[str, Any], origins: Mapping[str, str]) -> None:
    for section, values in merged.items():
        for key, value in values.items():
            for text in value if isinstance(value, list) else [value]:
                if not isinstance(text, str):
                    continue
                for name in _PLACEHOLDER.findall(text):
                    if name not in RUNTIME_PLACEHOLDERS:
                        dotted = f"{section}.{key}"
                        raise ConfigError(
                            f"unknown placeholder {{{name}}}",
                            "known placeholders: "
                            + ", ".join(sorted({*STATIC_PLACEHOLDERS, *RUNTIME_PLACEHOLDERS})),
                            file=origins.get(dotted, "built-in profile"),
                            key=dotted,
                        )


def init_text(base: str = DEFAULT_PROFILE) -> str:
    """A project file naming its base profile, with every key present and commented out."""
    lines = [
        f"# asf-release settings for this project. Uncomment a key to override the '{base}' profile.",
        f'profile = "{base}"',
        "",
    ]
    for line in builtin_text(base).splitlines():
        is_key = re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line)
        lines.append(f"# {line}" if is_key else line)
    return "\n".join(lines) + "\n"


def to_toml(profile: Profile) -> str:
    """The effective profile as TOML, each overridden key followed by the file that set it."""
    out = [f'profile = "{profile.name}"']
    for section, values in profile.as_dict().items():
        out.append("")
        out.append(f"[{section}]")
        for key, value in values.items():
            origin = profile.origins.get(f"{section}.{key}")
            suffix = f"  # from {origin}" if origin else ""
            out.append(f"{key} = {json.dumps(value, ensure_ascii=False)}{suffix}")
    return "\n".join(out) + "\n"
