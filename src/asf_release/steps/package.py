"""package: version file, release commit, RC tag, source archive, signature, checksums, checks.

What x.py does, made safe: refuses a dirty tree, the wrong branch, a version not above the line's
last release, a gap in RC numbers, an RC tag on another commit. Every action looks at the world
first, so a run stopped anywhere (after the tag, during the tarball...) is finished by running the
same command again, with exactly one release commit and one tag.

The source archive is made in the format its name asks for (`source.artifact`): `.tar.gz`/`.tgz`
and `.zip` exactly as `git archive` makes them, `.tar.bz2` and `.tar.xz` as git's tar through a
compressor with fixed settings (adapters/gitarchive), so that two runs on one commit, or a voter
running the printed command, give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from asf_release import crashpoints
from asf_release.adapters import isolation, proc
from asf_release.adapters.git import Snapshot
from asf_release.adapters.gitarchive import GZIP, SUPPORTED, SourceFormat, for_name, require
from asf_release.adapters.gpg import Key
from asf_release.cmdline import display
from asf_release.context import Context
from asf_release.errors import ConfigError, Failed, Refused
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.keys import signing_key
from asf_release.version import Version

CHUNK = 1 << 20
MAX_REFUSAL_LINES = 20  # failing findings listed when package refuses; the rest are in the report
CHECKS = (
    "artifacts",
    "checksums",
    "signatures",
    "archive",
    "license",
    "notice",
    "headers",
    "binaries",
    "provenance",
)


def choose_rc(ctx: Context, version: Version, rc: int | None, tags: Iterable[str] | None = None) -> int:
    """The RC to work on: the one asked for (no gaps), else the newest tagged one, else 1."""
    existing = ctx.names.rc_numbers(version, ctx.git.tags() if tags is None else tags)
    if rc is None:
        return max(existing) if existing else 1
    if rc > 1 and rc - 1 not in existing and rc not in existing:
        following = (max(existing) + 1) if existing else 1
        raise Refused(
            f"there is no {ctx.names.rc_tag(version, rc - 1)}: RC numbers have no gaps",
            f"the next release candidate is rc{following}: asf-release package {version} --rc {following}",
        )
    return rc


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class Artifact:
    path: Path
    digests: dict[str, str]  # algorithm -> hex
    size: int


def checksum_line(digest: str, name: str) -> str:
    """One line in the form `shasum -a 512` writes: the hex digest, two spaces, the bare name."""
    return f"{digest}  {name}\n"


def source_format(name: str) -> SourceFormat:
    """The format the artifact's name asks for; a name package cannot honour is refused."""
    found = for_name(name)
    if found is None:
        raise ConfigError(
            f"{name} ends in no format package can write",
            f"name the artifact with one of {SUPPORTED} (source.artifact in asf-release.toml)",
            key="source.artifact",
        )
    return found


def archive_to(
    ctx: Context,
    tag: str,
    prefix: str,
    dest: Path,
    algorithms: list[str],
    sinks: Sequence[Sink] = (),
    fmt: SourceFormat = GZIP,
) -> Artifact:
    """`git archive` of TAG in fmt into dest, hashed (and given to each sink, such as a signature
    being made) as it streams: the bytes are read once."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    partial = dest.with_name(dest.name + ".partial")
    size = 0
    try:
        with (
            ctx.git.archive(tag, prefix, fmt) as stream,
            partial.open("wb") as out,
            ctx.progress.task(f"archive {dest.name}") as task,
        ):
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                crashpoints.reached("package:archiving")
                for sink in sinks:
                    sink.write(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                size += len(chunk)
                task.advance(len(chunk))
            _sync(out)
    except BaseException as error:
        partial.unlink(missing_ok=True)  # a failed write (a full disk) leaves nothing half-made
        _name_the_file(error, dest)
        raise
    partial.replace(dest)
    return Artifact(dest, {name: h.hexdigest() for name, h in hashers.items()}, size)


def _name_the_file(error: BaseException, path: Path) -> None:
    """A write error knows no file name: give it the one a person knows."""
    if isinstance(error, OSError) and not error.filename:
        error.filename = str(path)


def _sync(out: BinaryIO) -> None:
    """On the disk before it takes its final name: a rename never reveals a half-written file."""
    out.flush()
    os.fsync(out.fileno())


def file_digests(path: Path, algorithms: list[str]) -> dict[str, str]:
    hashers = {name: hashlib.new(name) for name in algorithms}
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: h.hexdigest() for name, h in hashers.items()}


class PackageStep(Step):
    name = "package"
    title = "Package the RC"

    def __init__(
        self,
        version: Version,
        rc: int | None = None,
        *,
        out: Path | None = None,
        keys: str | None = None,
        key: str | None = None,
        sign_tag: bool | None = None,
    ) -> None:
        super().__init__(version, rc)
        self.out_option = out
        self.keys = keys
        self.key_selector = key
        self.sign_tag = sign_tag
        self._rc_chosen = False
        self._key: Key | None = None
        self._tree: Snapshot | None = None
        self._tags: dict[str, str] | None = None
        self._checked = False

    # --- the world, looked at once per run and again after each change --------------------------
    def tree(self, ctx: Context) -> Snapshot:
        if self._tree is None:
            self._tree = ctx.git.snapshot()
        return self._tree

    def tags(self, ctx: Context) -> dict[str, str]:
        if self._tags is None:
            self._tags = ctx.git.tag_commits()
        return self._tags

    def changed_world(self) -> None:
        self._tree = self._tags = None

    def tagged_commit(self, ctx: Context) -> str | None:
        return self.tags(ctx).get(self.tag(ctx))

    # --- names ----------------------------------------------------------------------------------
    def prepare(self, ctx: Context) -> None:
        if not self._rc_chosen:
            self.rc = choose_rc(ctx, self.version, self.rc, self.tags(ctx))
            self._rc_chosen = True

    @property
    def rc_number(self) -> int:
        assert self.rc is not None, "prepare() chooses the RC first"
        return self.rc

    def tag(self, ctx: Context) -> str:
        return ctx.names.rc_tag(self.version, self.rc_number)

    def out(self, ctx: Context) -> Path:
        return (self.out_option or ctx.artifacts_dir(self.version, self.rc_number)).resolve()

    def format(self, ctx: Context) -> SourceFormat:
        return source_format(ctx.names.artifact(self.version))

    def files(self, ctx: Context) -> tuple[Path, Path, list[Path]]:
        """The tarball, its signature and its checksum files."""
        tarball = self.out(ctx) / ctx.names.artifact(self.version)
        sums = [
            tarball.with_name(f"{tarball.name}.{algorithm}") for algorithm in ctx.profile.source.checksums
        ]
        return tarball, tarball.with_name(tarball.name + ".asc"), sums

    def key(self, ctx: Context) -> Key:
        if self._key is None:
            self._key = signing_key(ctx, self.key_selector)
        return self._key

    # --- the world ------------------------------------------------------------------------------
    def _version_at(self, ctx: Context, ref: str) -> str | None:
        content = ctx.git.show(ref, ctx.profile.version_file.path)
        return content.decode(errors="replace").strip() if content is not None else None

    def _refusals(self, ctx: Context) -> None:
        if self._checked:
            return
        self.format(ctx)  # refused before anything is done
        version, tag = self.version, self.tag(ctx)
        branch = ctx.names.release_branch(version)
        current = self.tree(ctx).branch
        if current != branch:
            raise Refused(
                f"{version} is released from branch {branch}, and the checkout is on {current or 'a detached HEAD'}",
                f"git checkout {branch}"
                + (
                    ""
                    if ctx.git.branch_commit(branch)
                    else f" (create it first: asf-release branch {version})"
                ),
            )
        tags = list(self.tags(ctx))
        final = ctx.names.final_tag(version)
        if final in tags:
            raise Refused(f"{version} is already released ({final} exists)", "choose the next version")
        released = [v for v in ctx.names.final_versions(tags) if v.line == version.line]
        if released and version <= released[-1]:
            raise Refused(
                f"{version} is not above {released[-1]}, the last release of the {branch} line",
                f"the next patch release is {Version(version.major, version.minor, released[-1].patch + 1)}",
            )
        head = self.tree(ctx).head
        tagged = self.tagged_commit(ctx)
        if tagged and tagged != head:
            raise Refused(
                f"{tag} already exists on commit {tagged[:12]}, and {branch} is at {head[:12]}",
                f"package a new candidate (--rc {self.rc_number + 1}); or, if {tag} was never pushed, "
                f"delete it (git tag -d {tag}) and run again",
            )
        changed = list(self.tree(ctx).changed)
        version_path = ctx.profile.version_file.path
        resumable = changed == [version_path] and self._working_version(ctx) == str(version) and not tagged
        if changed and not resumable:
            raise Refused(
                "the working tree has uncommitted changes: "
                + ", ".join(changed[:8])
                + (" ..." if len(changed) > 8 else ""),
                "commit or stash them first; a release is built only from committed work",
            )
        self._checked = True

    def _working_version(self, ctx: Context) -> str:
        path = ctx.require_project() / ctx.profile.version_file.path
        return path.read_text(errors="replace").strip() if path.is_file() else ""

    def _already_packaged(self, ctx: Context) -> bool:
        """A recorded, successful run whose files are still there, unchanged and consistent."""
        facts = ctx.ledger.history(self.release).facts(self.name, self.rc_number)
        if not facts or Path(facts.get("out", "")) != self.out(ctx):
            return False
        complete, _, sha512 = self._artifacts_state(ctx)
        return complete and sha512 == facts["artifacts"][0]["sha512"]

    def _artifacts_state(self, ctx: Context) -> tuple[bool, str, str]:
        """(tarball, signature and checksums agree with each other, why not, the tarball's sha512)."""
        tarball, asc, sums = self.files(ctx)
        missing = [p.name for p in (tarball, asc, *sums) if not p.is_file()]
        if missing:
            return False, "missing " + ", ".join(missing), ""
        digests = file_digests(tarball, sorted({"sha512", *ctx.profile.source.checksums}))
        for path in sums:
            if path.read_text().split()[:1] != [digests[path.suffix[1:]]]:
                return False, f"{path.name} does not match the tarball", digests["sha512"]
        signature = ctx.gpg.verify_detached(asc, tarball)
        if not signature.valid or signature.primary_fingerprint != self.key(ctx).fingerprint:
            return (
                False,
                f"{asc.name} is not a good signature by {self.key(ctx).fingerprint[-16:]}",
                digests["sha512"],
            )
        return True, "", digests["sha512"]

    # --- plan / run / done ----------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        self.prepare(ctx)
        key = self.key(ctx)
        version, tag = str(self.version), self.tag(ctx)
        notes = [f"signing key: {key.uids[0] if key.uids else key.fingerprint} ({key.fingerprint})"]
        tagged = self.tagged_commit(ctx) is not None
        # looked at before the refusals: once released, this candidate is done, not refused
        if tagged and self._already_packaged(ctx):
            return Plan(self.name, [], [*notes, f"{tag} is already packaged and checked in {self.out(ctx)}"])
        self._refusals(ctx)
        path = ctx.profile.version_file.path
        top = ctx.names.top_directory(self.version)
        tarball, _, sums = self.files(ctx)
        actions: list[Action] = []
        committed = self._version_at(ctx, "HEAD") == version
        command = ctx.profile.source.package_command
        if command and not tagged and not committed and self._working_version(ctx) != version:
            argv = shlex.split(ctx.profile.fmt("source.package_command", version=version, rc=self.rc_number))
            actions.append(
                Action("run the project's packaging command, then take over from its output", tuple(argv))
            )
            notes.append("the packaging command signs with gpg's default key")
        else:
            if self._working_version(ctx) != version and not committed:
                actions.append(Action(f"write {version} into {path} (no trailing newline)"))
            if not committed:
                message = ctx.profile.fmt("version_file.commit_message", version=version, top_directory=top)
                actions.append(Action("commit the release", ("git", "commit", "--all", "--message", message)))
            if not tagged:
                argv = ["git", "tag", "--annotate", tag, "--message", self._tag_message(ctx)]
                if self._signs_tag(ctx):
                    argv[2:3] = ["--local-user", key.fingerprint]
                actions.append(Action(f"tag {tag}", tuple(argv)))
        complete = tagged and self._artifacts_state(ctx)[0]
        if not complete:
            fmt = self.format(ctx)
            if fmt.compressor:
                notes.append(
                    f"{tarball.name}: the same bytes as `{fmt.pipeline(f'{top}/', tag)} > {tarball.name}`"
                )
            if not tarball.parent.is_dir():
                actions.append(Action(f"create {tarball.parent}", ("mkdir", "-p", str(tarball.parent))))
            actions += [
                Action(f"archive {tag} into {tarball}", fmt.command(f"{top}/", tag, str(tarball))),
                Action(
                    f"sign {tarball.name}",
                    ("gpg", "--armor", "--detach-sign", "--local-user", key.fingerprint, str(tarball)),
                ),
                *(Action(f"write {p.name}", ("shasum", "-a", p.suffix[4:], tarball.name)) for p in sums),
            ]
        actions.append(
            Action(
                f"check the candidate: {', '.join(CHECKS)}",
                ("asf-release", "verify", str(self.out(ctx)), "--no-build"),
            )
        )
        return Plan(self.name, actions, notes)

    def _tag_message(self, ctx: Context) -> str:
        return ctx.profile.fmt("git.rc_tag_message", version=str(self.version), rc=self.rc_number)

    def _signs_tag(self, ctx: Context) -> bool:
        return ctx.profile.git.sign_tags if self.sign_tag is None else self.sign_tag

    def run(self, ctx: Context) -> Outcome:
        self.prepare(ctx)
        self._refusals(ctx)
        require(self.format(ctx))  # a missing xz or bzip2 is said before the commit and the tag
        key = self.key(ctx)
        tag = self.tag(ctx)
        out = self.out(ctx)
        out.mkdir(parents=True, exist_ok=True)
        details: list[str] = []
        clock = _Stopwatch()
        ran_command = self._run_project_command(ctx, details)
        if not ran_command:
            details += self._commit_and_tag(ctx, key)
        clock.lap("commit and tag")
        self.changed_world()
        commit = self.tagged_commit(ctx)
        assert commit is not None
        tarball, asc, sums = self.files(ctx)
        artifact = self._tarball_and_signature(ctx, tarball, asc, key, details)
        clock.lap("archive, hash and sign")
        for path in sums:
            line = checksum_line(artifact.digests[path.suffix[1:]], tarball.name)
            if not path.is_file() or path.read_text() != line:
                _write_atomically(path, line)
                details.append(f"wrote {path.name}")
        clock.lap("checksum files")
        report = self._verify(ctx)
        clock.lap("verify")
        facts: dict[str, Any] = {
            "tag": tag,
            "commit": commit,
            "out": str(out),
            "artifacts": [
                {"name": tarball.name, "sha512": artifact.digests.get("sha512", ""), "size": artifact.size}
            ],
            "files": [p.name for p in (tarball, asc, *sums)],
            "signing_key": key.fingerprint,
            "signer": key.uids[0] if key.uids else "",
            "checks": {check.id: check.status for check in report.checks},
            "seconds": clock.laps,
        }
        if report.verdict != "pass":
            saved = self._save_report(ctx, report)
            raise Failed(
                "the candidate fails checks a voter would make, so it must not be staged:\n  "
                + "\n  ".join(refusal_lines(report)),
                f"the full report is {saved}; fix the source on the branch, then package "
                f"rc{self.rc_number + 1} (or delete the unpushed tag {tag} and run again)",
            )
        details.append(f"checks passed: {', '.join(c.id for c in report.checks)}")
        return Outcome(self.name, f"{tarball.name} for {tag} in {out}", facts, details=details)

    def _save_report(self, ctx: Context, report: Any) -> Path:
        """The whole verdict, every finding of every level, where the refusal can name it."""
        path = ctx.state_dir / "reports" / f"package-{self.version}-rc{self.rc_number}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, json.dumps(report.to_json(), indent=2) + "\n")
        return path

    def _run_project_command(self, ctx: Context, details: list[str]) -> bool:
        """Run the profile's packaging command when nothing of this RC exists yet; move its output."""
        template = ctx.profile.source.package_command
        version, tag = str(self.version), self.tag(ctx)
        root = ctx.require_project()
        if not template or self.tagged_commit(ctx) or self._version_at(ctx, "HEAD") == version:
            return False
        if self._working_version(ctx) == version:
            return False  # an earlier run stopped after writing the version file: finish natively
        argv = shlex.split(ctx.profile.fmt("source.package_command", version=version, rc=self.rc_number))
        # the project's own script, from its checkout: trusted less than we are, it never sees
        # our passwords or agent sockets (gpg-agent it reaches through GNUPGHOME, to sign)
        env = isolation.without_secrets({**os.environ, **ctx.env})
        if ctx.gpg.home:
            env["GNUPGHOME"] = str(ctx.gpg.home)
        proc.run(
            argv,
            cwd=root,
            env=env,
            inherit_env=False,
            timeout=3600,
            hint="the project's packaging command failed; run it by hand to see why",
        )
        details.append(f"ran {display(argv)}")
        self.changed_world()
        if self.tagged_commit(ctx) != self.tree(ctx).head:
            raise Refused(
                f"the packaging command did not leave {tag} on the release commit",
                "check source.package_command in the profile: it must commit and tag like x.py does",
            )
        tarball, asc, sums = self.files(ctx)
        for produced in (tarball, asc, *sums):
            found = root / produced.name
            if found.is_file():
                shutil.move(str(found), produced)
                details.append(f"took {produced.name} from the command's output")
        return True

    def _commit_and_tag(self, ctx: Context, key: Key) -> list[str]:
        version, tag = str(self.version), self.tag(ctx)
        details = []
        path = ctx.require_project() / ctx.profile.version_file.path
        if self.tagged_commit(ctx) is None:
            if self._version_at(ctx, "HEAD") != version:
                if self._working_version(ctx) != version:
                    path.write_text(version)
                top = ctx.names.top_directory(self.version)
                message = ctx.profile.fmt("version_file.commit_message", version=version, top_directory=top)
                commit = ctx.git.commit_all(message)
                details.append(f"committed {commit[:12]} {message}")
            ctx.git.tag_annotated(tag, self._tag_message(ctx), sign=self._signs_tag(ctx), key=key.fingerprint)
            details.append(f"tagged {tag}")
            crashpoints.reached("package:tagged")
        return details

    def _tarball_and_signature(
        self, ctx: Context, tarball: Path, asc: Path, key: Key, details: list[str]
    ) -> Artifact:
        """Archive the tag, hashing it and (unless a good signature is there already) signing it as
        the bytes stream; keep the existing tarball when the archive comes out identical."""
        top = ctx.names.top_directory(self.version)
        fmt = self.format(ctx)
        algorithms = sorted({"sha512", *ctx.profile.source.checksums})
        fresh_path = tarball.with_name(tarball.name + ".new")
        signed_before = tarball.is_file() and asc.is_file() and self._good_signature(ctx, asc, tarball, key)
        try:
            if signed_before:
                fresh = archive_to(ctx, self.tag(ctx), f"{top}/", fresh_path, algorithms, fmt=fmt)
            else:
                with ctx.gpg.signing(asc, key.fingerprint) as signer:
                    fresh = archive_to(ctx, self.tag(ctx), f"{top}/", fresh_path, algorithms, [signer], fmt)
        except BaseException:
            fresh_path.unlink(missing_ok=True)
            raise
        unchanged = (
            tarball.is_file() and file_digests(tarball, ["sha512"])["sha512"] == fresh.digests["sha512"]
        )
        if unchanged:
            fresh_path.unlink()
        else:
            fresh_path.replace(tarball)
            details.append(f"archived {tarball.name} ({fresh.size:,} bytes)")
            if signed_before:  # that signature was over other bytes
                ctx.gpg.sign_detached(tarball, asc, key.fingerprint)
        if not signed_before or not unchanged:
            details.append(f"signed {tarball.name} with {key.fingerprint[-16:]}")
        return Artifact(tarball, fresh.digests, fresh.size)

    def _good_signature(self, ctx: Context, asc: Path, tarball: Path, key: Key) -> bool:
        signature = ctx.gpg.verify_detached(asc, tarball)
        return signature.valid and signature.primary_fingerprint == key.fingerprint

    def _verify(self, ctx: Context) -> Any:
        from asf_release.verify import VerifyRequest, verify

        keys = self.keys or ctx.profile.dist.keys_url
        request = VerifyRequest(
            source=str(self.out(ctx)),
            version=str(self.version),
            rc=self.rc_number,
            keys=keys,
            git=str(ctx.require_project()),
            tag=self.tag(ctx),
            build=False,
            only=CHECKS,
        )
        return verify(ctx, request)

    def done(self, ctx: Context) -> Check:
        self.prepare(ctx)
        tag = self.tag(ctx)
        if self.tagged_commit(ctx) is None:
            return Check(State.PENDING, f"{tag} does not exist yet")
        if not self._already_packaged(ctx):
            return Check(State.PENDING, f"{tag} exists; the artifacts are not built and checked yet")
        return Check(State.DONE, f"{tag}: {ctx.names.artifact(self.version)} signed, checksummed and checked")

    def command(self) -> str:
        rc = f" --rc {self.rc}" if self.rc else ""
        return f"asf-release package {self.version}{rc}"


def refusal_lines(report: Any, cap: int = MAX_REFUSAL_LINES) -> list[str]:
    """Every failing finding (level fail only), each with its check and path, up to cap lines."""
    failing = [
        (check.id, finding)
        for check in report.checks
        for finding in check.findings
        if finding.level.value == "fail"
    ]
    total = sum(finding.counts().get("fail", 0) for _, finding in failing)
    lines = [
        f"{check_id}: {finding.path + ': ' if finding.path else ''}{finding.message}"
        for check_id, finding in failing[:cap]
    ]
    shown = sum(finding.counts().get("fail", 0) for _, finding in failing[:cap])
    if total > shown:
        lines.append(f"... and {total - shown} more failing finding(s) in the full report")
    if not lines:  # a check failed without a failing finding: name it
        lines = [
            f"{check.id}: {check.summary or 'failed'}" for check in report.checks if check.status == "fail"
        ]
    return lines


class _Stopwatch:
    """Seconds spent in each phase, reported with the result (benchmarks read them)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 4)
        self._last = now


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            out.write(text.encode())
            _sync(out)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        _name_the_file(error, path)
        raise
    partial.replace(path)
