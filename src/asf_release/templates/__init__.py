"""Messages (proposal, vote, result, announce, vote reply) as Jinja2 templates.

A profile may replace any of them with a file of the project's ([templates] in the profile).
Such a file is code from the project's checkout, so it is trusted less than we are: every
template renders in Jinja2's sandbox (no attribute starting with `_`, no reaching Python's
internals, no huge strings or numbers), and a template named by the project's asf-release.toml is
read only from inside the checkout, links resolved, its includes too. A template named by your
own config file is yours: it is read from where you say (relative to that file), still sandboxed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from asf_release.errors import ConfigError
from asf_release.profile import PROJECT_FILE, Profile

MAX_SIZE = 1_000_000  # the longest string or list a template may make by multiplying
MAX_EXPONENT = 1_000


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with `*` and `**` bounded so a template cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"an exponent above {MAX_EXPONENT} is not allowed in a template")
            return operator.pow(left, right)
        sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
        counts = [x for x in (left, right) if isinstance(x, int)]
        if sizes and counts and sizes[0] * counts[0] > MAX_SIZE:
            raise SecurityError(f"a template may not make a string or list of more than {MAX_SIZE:,} items")
        return operator.mul(left, right)


_SETTINGS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": False,  # plain-text mail, never HTML
}
_BUILTIN = _Sandbox(loader=jinja2.PackageLoader("asf_release", "templates"), **_SETTINGS)


class _Confined(jinja2.BaseLoader):
    """Templates looked up beside the first one, and only where they resolve (links followed)
    inside `fence`: a name or a link leading out of it is not found."""

    def __init__(self, directory: Path, fence: Path | None) -> None:
        self.directory = directory
        self.fence = fence

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = (self.directory / template).resolve()
        if (self.fence is not None and not path.is_relative_to(self.fence)) or not path.is_file():
            raise jinja2.TemplateNotFound(template)
        text = path.read_bytes().decode("utf-8", errors="replace")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.stat().st_mtime == mtime


def render(profile: Profile, name: str, **values: Any) -> str:
    """Render message template `name` (proposal, vote, result, announce, vote_reply)."""
    custom = getattr(profile.templates, name, "")
    key = f"templates.{name}"
    origin = profile.origins.get(key)
    try:
        if custom:
            path, fence = _locate(profile, custom, key, origin)
            environment = _BUILTIN.overlay(loader=_Confined(path.parent, fence))
            template = environment.get_template(path.name)
        else:
            template = _BUILTIN.get_template(f"{name}.j2")
        return template.render(profile=profile, **values)
    except SecurityError as error:
        raise ConfigError(
            f"the {name} template tried something a message template may not do: {error}",
            "a template fills in values; it cannot reach Python's internals (names starting with _)",
            file=origin,
            key=key,
        ) from None
    except jinja2.TemplateError as error:
        raise ConfigError(
            f"the {name} template cannot be rendered: {error}",
            "check the template's placeholders against the values listed in the README",
            file=origin,
            key=key,
        ) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as error:
        raise ConfigError(  # a template is outside code: what it does wrong is its own error
            f"the {name} template failed: {type(error).__name__}: {error}",
            "check the expressions in the template",
            file=origin,
            key=key,
        ) from None


def _locate(profile: Profile, custom: str, key: str, origin: str | None) -> tuple[Path, Path | None]:
    """The template file, and the directory it and its includes must stay in (None: anywhere)."""
    project_file = profile.root / PROJECT_FILE if profile.root is not None else None
    personal = origin is not None and (project_file is None or Path(origin) != project_file)
    if personal:
        assert origin is not None
        path = (Path(origin).parent / Path(custom).expanduser()).resolve()
        fence = None
    else:
        if profile.root is None:
            raise ConfigError(
                f"the template {custom} belongs to a project, and there is no project checkout here",
                "run the command inside the project's checkout",
                file=origin,
                key=key,
            )
        fence = profile.root.resolve()
        path = (fence / custom).resolve()
        if not path.is_relative_to(fence):
            raise ConfigError(
                f"the template {custom} is not inside the project checkout {fence}"
                + (" (a link leads out of it)" if (profile.root / custom).is_symlink() else ""),
                "a project's templates are read only from inside its checkout: move the file there",
                file=origin,
                key=key,
            )
    if not path.is_file():
        raise ConfigError(f"the template file {path} does not exist", file=origin, key=key)
    return path, fence
