"""Messages (proposal, vote, result, announce, vote reply) as Jinja2 templates.

A profile may replace any of them with a file of the project's ([templates] in the profile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from asf_release.errors import ConfigError
from asf_release.profile import Profile

_BUILTIN = jinja2.Environment(
    loader=jinja2.PackageLoader("asf_release", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain-text mail, never HTML
)


def render(profile: Profile, name: str, **values: Any) -> str:
    """Render message template `name` (proposal, vote, result, announce, vote_reply)."""
    custom = getattr(profile.templates, name, "")
    try:
        if custom:
            path = (
                Path(custom) if Path(custom).is_absolute() or profile.root is None else profile.root / custom
            )
            if not path.is_file():
                raise ConfigError(
                    f"the template file {path} does not exist",
                    file=profile.origins.get(f"templates.{name}"),
                    key=f"templates.{name}",
                )
            environment = _BUILTIN.overlay(loader=jinja2.FileSystemLoader(str(path.parent)))
            template = environment.get_template(path.name)
        else:
            template = _BUILTIN.get_template(f"{name}.j2")
        return template.render(profile=profile, **values)
    except jinja2.TemplateError as error:
        raise ConfigError(
            f"the {name} template cannot be rendered: {error}",
            "check the template's placeholders against the values listed in the README",
            key=f"templates.{name}",
        ) from None
