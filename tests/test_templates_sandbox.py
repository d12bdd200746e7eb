"""A project's templates are code from the project's checkout: they render in Jinja2's sandbox
and are read only from inside that checkout, even under --dry-run."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from asf_release import profile as profile_module
from asf_release import templates
from asf_release.errors import ConfigError
from tests.conftest import run_cli
from tests.prepare_fixtures import Repo, repo

__all__ = ["repo"]

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ profile.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ self._TemplateReference__context }}",
    "{{ 'x' * 100000000 }}",  # memory, not Python: bounded too
    "{{ 2 ** 100000000 }}",
    "{{ 1 / 0 }}",
]


def _profile(root: Path, **names: str) -> profile_module.Profile:
    loaded = profile_module.load(root, env={})
    return dataclasses.replace(loaded, templates=dataclasses.replace(loaded.templates, **names))


@pytest.mark.parametrize("text", ESCAPES)
def test_a_template_cannot_reach_python(tmp_path: Path, text: str) -> None:
    (tmp_path / "evil.j2").write_text(text)
    with pytest.raises(ConfigError) as caught:
        templates.render(_profile(tmp_path, vote_reply="evil.j2"), "vote_reply", report=None)
    assert "templates.vote_reply" in caught.value.message
    assert "uid=" not in caught.value.message


def test_templates_come_only_from_inside_the_checkout(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "mail").mkdir(parents=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("the secret")
    (root / "mail" / "link.j2").symlink_to(outside)
    (root / "mail" / "includes.j2").write_text('{% include "../../secret.txt" %}')
    (root / "mail" / "includes-link.j2").write_text('{% include "link.j2" %}')
    depth = "../" * len(root.parts)
    for name in ("../../../../etc/passwd", f"{depth}etc/passwd", "/etc/passwd", "mail/link.j2"):
        with pytest.raises(ConfigError) as caught:
            templates.render(_profile(root, vote_reply=name), "vote_reply")
        assert "inside the project" in caught.value.message, name
    for name in ("mail/includes.j2", "mail/includes-link.j2"):
        with pytest.raises(ConfigError) as caught:
            templates.render(_profile(root, vote_reply=name), "vote_reply")
        assert "the secret" not in caught.value.message
    (root / "mail" / "ok.j2").write_text("{{ product }} {% include 'part.j2' %}")
    (root / "mail" / "part.j2").write_text("and a part")
    assert (
        templates.render(_profile(root, vote_reply="mail/ok.j2"), "vote_reply", product="P") == "P and a part"
    )


def test_a_personal_template_may_live_with_the_personal_config(tmp_path: Path) -> None:
    """Your own config is yours: its template is read beside it (and still sandboxed)."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "reply.j2").write_text("mine: {{ product }}")
    config = config_dir / "config.toml"
    config.write_text('[templates]\nvote_reply = "reply.j2"\n')
    loaded = profile_module.load(None, env={"ASF_RELEASE_CONFIG": str(config)})
    assert templates.render(loaded, "vote_reply", product="P") == "mine: P"
    (config_dir / "reply.j2").write_text("{{ ''.__class__.__mro__ }}")
    with pytest.raises(ConfigError):
        templates.render(loaded, "vote_reply", product="P")


def test_the_cli_refuses_with_exit_2_even_on_a_dry_run(repo: Repo) -> None:
    (repo.path / "proposal.j2").write_text("{{ ''.__class__.__mro__ }}")
    (repo.path / "asf-release.toml").write_text('[templates]\nproposal = "proposal.j2"\n')
    env = {**os.environ}
    done = run_cli("-C", str(repo.path), "propose", "2.11.0", "--dry-run", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "templates.proposal" in done.stderr and "Traceback" not in done.stderr
    assert "<class 'object'>" not in done.stdout
    (repo.path / "asf-release.toml").write_text(
        '[templates]\nproposal = "../../../../../../../../etc/passwd"\n'
    )
    done = run_cli("-C", str(repo.path), "propose", "2.11.0", "--dry-run", env=env)
    assert done.returncode == 2 and "inside the project" in done.stderr, done.stdout + done.stderr
    assert "root:" not in done.stdout
