"""The sandbox: a sample project, its origin, dist in svnserve, a GnuPG home, a roster, a mail
server, all on this machine. The demo runs the whole process in one; tests build on the same parts.

Creating it again in the same directory keeps what is there: the demo resumes.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asf_release import profile as profile_module
from asf_release.adapters import proc
from asf_release.adapters.gpg import Gpg, stop_agent
from asf_release.adapters.svn import PASSWORD_ENV as SVN_PASSWORD_ENV
from asf_release.profile import Profile
from asf_release.sandbox import previous, sample_project, website
from asf_release.sandbox.sample_project import SampleProject
from asf_release.sandbox.services import (
    MailCapture,
    RegistryServer,
    SvnServer,
    container_settings,
    roster_json,
)
from asf_release.sandbox.web import WebStandIn
from asf_release.version import Names

SMTP_PASSWORD_ENV = "ASF_RELEASE_SMTP_PASSWORD"


@dataclass(frozen=True)
class Person:
    uid: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.uid}@apache.org"

    @property
    def address(self) -> str:
        return f"{self.name} <{self.email}>"


RELEASE_MANAGER = Person("rm", "Riley Morgan")
PREVIOUS_RELEASE_MANAGER = Person("alice", "Alice Zhang")
PMC = [
    RELEASE_MANAGER,
    PREVIOUS_RELEASE_MANAGER,
    Person("bruno", "Bruno Costa"),
    Person("chenwei", "Chen Wei"),
    Person("grace", "Grace Hopkins"),
]
CONTRIBUTORS = [Person("dana", "Dana Okafor"), Person("erik", "Erik Lund")]


class Sandbox:
    def __init__(self, base: Path, *, files: int = 60, gnupg: Path | None = None) -> None:
        """gnupg: where the GnuPG home lives (default base/gnupg); gpg-agent needs a short path."""
        self.base = base.resolve()
        self.files = files
        self.profile = profile_module.load(None, env={})
        short = self.profile.project.short_name
        self.project_path = self.base / "project"
        self.origin_path = self.base / "origin.git"
        self.gnupg = gnupg or self.base / "gnupg"
        self.roster = self.base / "roster.json"
        self.user_config = self.base / "user-config.toml"
        self.mbox = self.base / "mail" / "captured.mbox"
        self.state_file = self.base / "sandbox.json"
        self.svn = SvnServer(self.base / "svn", short)
        self.website_path = self.base / "website.git"
        self.web = WebStandIn(self.svn.repository, short, self.origin_path)
        self.mail = MailCapture(self.mbox, user=RELEASE_MANAGER.uid, password="sandbox-mail")
        self.registry = RegistryServer(self.base / "registry")
        self.containers = self.base / "containers"
        self.project: SampleProject | None = None
        self.rm_fingerprint = ""

    # --- creation -----------------------------------------------------------------------------
    def prepare(self) -> list[str]:
        """Create whatever is missing; return what was created."""
        created = []
        self.base.mkdir(parents=True, exist_ok=True)
        state = self._state()
        if "rm_fingerprint" not in state:
            self.gnupg.mkdir(mode=0o700, parents=True, exist_ok=True)
            gpg = Gpg(self.gnupg)
            state["previous_fingerprint"] = gpg.generate_key(PREVIOUS_RELEASE_MANAGER.address, "ed25519")
            state["rm_fingerprint"] = gpg.generate_key(RELEASE_MANAGER.address, "rsa4096")
            created.append(
                f"GnuPG home with the keys of {PREVIOUS_RELEASE_MANAGER.name} and {RELEASE_MANAGER.name}"
            )
        self.rm_fingerprint = state["rm_fingerprint"]
        if not self.svn.repository.exists():
            gpg = Gpg(self.gnupg)
            previous = state["previous_fingerprint"]
            keys = _keys_file(gpg, [previous])
            self.svn.create(keys)
            created.append("Subversion repository with dist/dev and dist/release (KEYS)")
        if not self.roster.exists():
            committee = self.profile.fmt("vote.committee")
            document = roster_json(committee, self.profile.project.product, [(p.uid, p.name) for p in PMC])
            self.roster.write_text(json.dumps(document, indent=2))
            created.append("PMC roster")
        if not self.project_path.exists():
            self.project = sample_project.create(
                self.project_path, self.profile, files=self.files, origin=self.origin_path
            )
            state["anchor"] = self.project.anchor.isoformat()
            created.append("sample project with its history and an origin remote")
        else:
            anchor = datetime.fromisoformat(state["anchor"])
            self.project = SampleProject(self.project_path, self.origin_path, self.profile, anchor)
        created += self._after_the_releases(state)
        self._save(state)
        return created

    def _after_the_releases(self, state: dict[str, str]) -> list[str]:
        """What the releases made before this one left: the latest in dist/release, and the website
        repository listing them."""
        created = []
        released = Names(self.profile).final_versions(self.project_git_tags())
        if released and "previous_release" not in state:
            latest = released[-1]
            previous.publish(self, latest, state["previous_fingerprint"])
            state["previous_release"] = str(latest)
            created.append(f"{latest} in dist/release, as its release manager left it")
        if not self.website_path.exists():
            website.create(self.website_path, self.profile, released)
            created.append("the website repository with its releases file")
        return created

    def project_git_tags(self) -> list[str]:
        done = proc.run(["git", "tag", "--list"], cwd=self.project_path)
        return done.stdout.split()

    def _state(self) -> dict[str, str]:
        if self.state_file.exists():
            loaded: dict[str, str] = json.loads(self.state_file.read_text())
            return loaded
        return {}

    def _save(self, state: dict[str, str]) -> None:
        self.state_file.write_text(json.dumps(state, indent=2))

    # --- services -----------------------------------------------------------------------------
    def start(self) -> None:
        state = self._state()
        self.svn.start(int(state.get("svn_port", 0)))
        self.mail.start(int(state.get("smtp_port", 0)))
        self.web.start(int(state.get("web_port", 0)))
        self.registry.start(int(state.get("registry_port", 0)))
        state.update(
            svn_port=str(self.svn.port),
            smtp_port=str(self.mail.port),
            web_port=str(self.web.port),
            registry_port=str(self.registry.port),
        )
        self._save(state)
        self.user_config.write_text(self._user_config())

    def stop(self) -> None:
        self.web.stop()
        self.registry.stop()
        self.mail.stop()
        self.svn.stop()
        stop_agent(self.gnupg)

    def __enter__(self) -> Sandbox:
        self.prepare()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The environment a command needs to act inside the sandbox."""
        return {
            **os.environ,
            profile_module.USER_CONFIG_ENV: str(self.user_config),
            "GNUPGHOME": str(self.gnupg),
            SVN_PASSWORD_ENV: self.svn.password,
            SMTP_PASSWORD_ENV: self.mail.password,
            **container_settings(self.containers),
        }

    @property
    def env_script(self) -> Path:
        return self.base / "env.sh"

    def write_env_script(self) -> None:
        """A file to source in a shell, so that any command run by hand acts inside the sandbox
        (its config, GnuPG home, the sandbox's own passwords and container settings)."""
        mine = {name: value for name, value in self.env().items() if os.environ.get(name) != value}
        lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(mine.items())]
        self.env_script.write_text(
            "# . this file, then run asf-release -C PROJECT ...\n" + "\n".join(lines) + "\n"
        )

    def load_profile(self) -> Profile:
        return profile_module.load(self.project_path, env=self.env())

    def _user_config(self) -> str:
        """The release manager's personal settings, pointing every service at the sandbox."""
        values: dict[str, dict[str, object]] = {
            "dist": {
                "dev_url": self.svn.dev_url(),
                "release_url": self.svn.release_url(),
                "keys_url": f"{self.svn.release_url()}/KEYS",
                "downloads_url": self.web.downloads_url(),
                "download_url": f"{self.web.url}/dyn/closer.lua/{self.profile.project.short_name}/{{version}}/{{artifact}}",
            },
            "smtp": {
                "host": "127.0.0.1",
                "port": self.mail.port,
                "security": "none",
                "user": RELEASE_MANAGER.uid,
                "sender": RELEASE_MANAGER.address,
            },
            "release_manager": {
                "name": RELEASE_MANAGER.name,
                "apache_id": RELEASE_MANAGER.uid,
                "signing_key": self.rm_fingerprint,
                "gnupg_home": str(self.gnupg),
                "docker_user": RELEASE_MANAGER.uid,
            },
            "vote": {"roster": str(self.roster), "thread": str(self.mbox)},
            # the web an announcement links to: downloads, mirrors, website, release page, issues, lists
            "project": {
                "website": f"{self.web.url}/website",
                "changelog_url": f"{self.web.url}/github/releases/tag/{{tag}}",
                "issues_url": f"{self.web.url}/issues",
            },
            "mail": {"list_archive_url": f"{self.web.url}/lists/dev"},
            "website": {"repository_url": str(self.website_path)},
            "build": {"required_tools": ["python3", "g++"]},
            "docker": {
                "repository": f"{self.registry.host}/apache/{{short_name}}",
                "staging_repository": f"{self.registry.host}/{{docker_user}}/{{short_name}}",
                "prepare_command": "./x.py build -j {jobs} --static",
            },
        }
        lines = ["# Written by the asf-release sandbox: every service points at this machine."]
        for section, items in values.items():
            lines.append(f"\n[{section}]")
            for key, value in items.items():
                lines.append(f"{key} = {json.dumps(value)}")
        return "\n".join(lines) + "\n"


def _keys_file(gpg: Gpg, fingerprints: list[str]) -> bytes:
    parts = [
        "This file contains the PGP keys of the project's release managers.\n\n"
        "Users: gpg --import KEYS\n"
        "Release managers: append your key with asf-release keys add.\n"
    ]
    for fingerprint in fingerprints:
        parts.append("\n" + gpg.list_sigs_text(fingerprint) + gpg.export_armored(fingerprint))
    return "".join(parts).encode()
