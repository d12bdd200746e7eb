"""Context: what every step and check is given: the project, its profile, the ledger, the tools."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from asf_release import ledger as ledger_module
from asf_release import profile as profile_module
from asf_release.adapters.git import Git
from asf_release.adapters.gpg import Gpg
from asf_release.adapters.svn import Svn
from asf_release.errors import ConfigError, UsageError
from asf_release.ledger import Ledger
from asf_release.profile import Profile
from asf_release.progress import NoProgress, Progress
from asf_release.version import Names, Version


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    profile: Profile
    root: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dry_run: bool = False
    progress: Progress = field(default_factory=NoProgress)
    now: Callable[[], datetime] = utc_now

    @classmethod
    def load(
        cls,
        project: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
        profile: str | None = None,
        profile_without_checkout: str | None = None,
    ) -> Context:
        """The context for the checkout holding `project` (default: the current directory).
        `profile` (a built-in name or a file) replaces the project's own; outside any checkout,
        `profile_without_checkout` applies when given."""
        env = dict(os.environ if env is None else env)
        start = (project or Path.cwd()).resolve()
        if project is not None and not start.is_dir():
            raise UsageError(f"{start} is not a directory", "give --project the path of a checkout")
        root = Git.toplevel(start)
        chosen = profile or (profile_without_checkout if root is None else None)
        return cls(
            profile=profile_module.load(root, env=env, chosen=chosen),
            root=root,
            env=env,
            dry_run=dry_run,
            progress=progress or NoProgress(),
        )

    # --- the project --------------------------------------------------------------------------
    def require_project(self) -> Path:
        if self.root is None:
            raise UsageError(
                "this command works on a project checkout, and the current directory is not in one",
                "run it inside the project's git checkout, or pass --project PATH",
            )
        return self.root

    @cached_property
    def names(self) -> Names:
        return Names(self.profile)

    @cached_property
    def git(self) -> Git:
        return Git(self.require_project())

    @cached_property
    def state_dir(self) -> Path:
        """asf-release's own directory for this checkout, created when first needed."""
        path = ledger_module.state_dir(self.require_project(), self.env)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            moved = "ASF_RELEASE_STATE_DIR" in self.env and self.env["ASF_RELEASE_STATE_DIR"]
            raise ConfigError(
                f"cannot create asf-release's state directory {path} ({error.strerror or error})",
                "point ASF_RELEASE_STATE_DIR to a directory you can write"
                if moved
                else "check that you can write into the checkout's .git directory, "
                "or point ASF_RELEASE_STATE_DIR to a directory you can write",
            ) from None
        return path

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.state_dir / "ledger.sqlite3")

    def artifacts_dir(self, version: Version, rc: int) -> Path:
        """Where package writes an RC's files: inside the git directory, so never tracked."""
        return self.state_dir / "artifacts" / f"{version}-rc{rc}"

    @cached_property
    def outbox(self) -> Path:
        return self.state_dir / "outbox"

    # --- the tools ----------------------------------------------------------------------------
    @cached_property
    def gpg(self) -> Gpg:
        home = self.profile.release_manager.gnupg_home
        return Gpg(Path(home).expanduser() if home else None)

    @cached_property
    def svn(self) -> Svn:
        return Svn(username=self.profile.release_manager.apache_id, env=self.env)

    def close(self) -> None:
        if "ledger" in self.__dict__:
            self.ledger.close()
