"""Fixtures: real git, gpg, svnserve and SMTP, started by the tests on 127.0.0.1 only.

The sandbox's slow parts (key generation, the sample history) are made once per test session
as a template; each test gets its own copy, with its own servers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from asf_release import profile as profile_module
from asf_release.adapters.gpg import stop_agent
from asf_release.profile import Profile
from asf_release.sandbox.environment import Sandbox

# fixtures of each area live in their own module
pytest_plugins = ["tests.release_fixtures"]

# Hypothesis: every property test bounds its examples; under CI (CI set) the "ci" profile also
# fixes the seed (derandomize), so a CI run is repeatable and a failure reproduces.
hypothesis_settings.register_profile(
    "ci", derandomize=True, max_examples=50, deadline=None, database=None, print_blob=True
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the person's own config, keyring or GnuPG home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GNUPGHOME", str(home / "no-gnupg-here"))
    for name in (
        "ASF_RELEASE_CONFIG",
        "ASF_RELEASE_STATE_DIR",
        "ASF_RELEASE_SVN_PASSWORD",
        "ASF_RELEASE_SMTP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def builtin() -> Profile:
    return profile_module.load(None, env={})


def short_dir(prefix: str) -> Path:
    """A directory with a short path (gpg-agent's socket path is limited to about 100 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    base = tmp_path_factory.mktemp("template")
    gnupg = short_dir("asfr-tg-")
    template = Sandbox(base, gnupg=gnupg)
    template.prepare()
    stop_agent(gnupg)
    yield template
    stop_agent(gnupg)
    shutil.rmtree(gnupg, ignore_errors=True)


def _copy(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("S.*", "*.lock"))


@pytest.fixture
def sandbox_files(sandbox_template: Sandbox, tmp_path: Path) -> Iterator[Sandbox]:
    """A private copy of the sandbox (project, origin, svn repository, keys), services stopped."""
    base = tmp_path / "sandbox"
    base.mkdir()
    for name in ("project", "origin.git", "svn", "roster.json", "sandbox.json"):
        source = sandbox_template.base / name
        if source.is_dir():
            _copy(source, base / name)
        else:
            shutil.copy2(source, base / name)
    gnupg = short_dir("asfr-g-")
    gnupg.rmdir()
    _copy(sandbox_template.gnupg, gnupg)
    copy = Sandbox(base, gnupg=gnupg)
    copy.prepare()
    assert copy.project is not None
    copy.project.git("remote", "set-url", copy.profile.git.remote, str(copy.origin_path))
    yield copy
    copy.stop()
    shutil.rmtree(gnupg, ignore_errors=True)


@pytest.fixture
def sandbox(sandbox_files: Sandbox) -> Iterator[Sandbox]:
    """A private sandbox with svnserve and the SMTP server running on 127.0.0.1."""
    sandbox_files.start()
    yield sandbox_files
    sandbox_files.stop()


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real asf-release command in a child process, as a person would."""
    return subprocess.run(
        [sys.executable, "-m", "asf_release", *args],
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,  # a crash point kills the command's process group, never pytest
    )
