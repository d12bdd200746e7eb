"""The release process in order, and where a release stands in it (what `status` shows).

Each entry is either automated (a Step factory) or manual (what to do by hand, from the guide).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asf_release.context import Context
from asf_release.errors import ReleaseError
from asf_release.ledger import History, StepState
from asf_release.steps.base import Check, State, Step
from asf_release.version import ReleaseKind, Version

StepFactory = Callable[[Version, int], Step]
BOTH = frozenset({ReleaseKind.FEATURE, ReleaseKind.PATCH})
FEATURE_ONLY = frozenset({ReleaseKind.FEATURE})


@dataclass(frozen=True)
class StepSpec:
    name: str
    title: str
    by_hand: str  # what a release manager does when the step is not automated
    kinds: frozenset[ReleaseKind] = BOTH
    requires: tuple[str, ...] = ()
    factory: StepFactory | None = None
    # what the step itself waits for once the steps it requires are done (None: nothing); the
    # step's own command refuses on the very same condition, so status and the command agree
    waits_for: Callable[[Context, Version, int], str | None] | None = None


@dataclass(frozen=True)
class StepStatus:
    name: str
    title: str
    state: State
    detail: str = ""
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "title": self.title,
            "state": self.state.value,
            "detail": self.detail,
            "command": self.command,
        }


@dataclass(frozen=True)
class ReleaseStatus:
    version: Version
    rc: int
    steps: list[StepStatus] = field(default_factory=list)

    @property
    def next(self) -> StepStatus | None:
        """The first step that can be run now; else the first manual step after the last one done."""
        for step in self.steps:
            if step.state in (State.PENDING, State.INTERRUPTED, State.FAILED):
                return step
        done = [i for i, step in enumerate(self.steps) if step.state is State.DONE]
        after = done[-1] + 1 if done else 0
        for step in self.steps[after:]:
            if step.state is State.MANUAL:
                return step
        return None

    def to_json(self) -> dict[str, Any]:
        upcoming = self.next
        return {
            "version": str(self.version),
            "kind": self.version.kind.value,
            "rc": self.rc,
            "steps": [s.to_json() for s in self.steps],
            "next": upcoming.to_json() if upcoming else None,
        }


def _registry() -> list[StepSpec]:
    """The process. Factories are imported here so the step modules stay independent."""
    from asf_release.steps import voted
    from asf_release.steps.announce import AnnounceStep
    from asf_release.steps.branch import BranchStep
    from asf_release.steps.cherry_pick import CherryPickStep
    from asf_release.steps.images import ImagesStep
    from asf_release.steps.keys import KeysStep
    from asf_release.steps.package import PackageStep
    from asf_release.steps.promote import PromoteStep
    from asf_release.steps.propose import ProposeStep
    from asf_release.steps.publish import PublishStep
    from asf_release.steps.result import ResultStep
    from asf_release.steps.stage import StageStep
    from asf_release.steps.tally import TallyStep
    from asf_release.steps.vote import VoteStep
    from asf_release.steps.website import WebsiteStep

    return [
        StepSpec(
            "propose",
            "Propose the release",
            "post a proposal listing the commits to the dev list or a GitHub Discussion",
            factory=lambda version, rc: ProposeStep(version),
        ),
        StepSpec(
            "branch",
            "Create the release branch",
            "create branch X.Y from unstable and push it",
            FEATURE_ONLY,
            factory=lambda version, rc: BranchStep(version),
        ),
        StepSpec(
            "cherry-pick",
            "Cherry-pick period",
            "cherry-pick fixes and approved changes from unstable into X.Y",
            BOTH,  # a patch release picks its fixes too
            requires=("branch",),
            factory=lambda version, rc: CherryPickStep(version),
        ),
        StepSpec(
            "keys",
            "Signing key in KEYS",
            "append `gpg --list-sigs` and `gpg --export --armor` of your key to KEYS in dist/release",
            factory=lambda version, rc: KeysStep(),
        ),
        StepSpec(
            "package",
            "Package the RC",
            "write the version file, commit, tag, git archive, sign and checksum",
            requires=("keys",),
            factory=PackageStep,
        ),
        StepSpec(
            "stage",
            "Stage the RC on dist/dev",
            "svn add the artifacts under dist/dev and commit; push the RC tag",
            requires=("package",),
            factory=StageStep,
        ),
        StepSpec(
            "images",
            "Candidate Docker images",
            "build and push the images for every platform to your own repository",
            requires=("package",),
            factory=lambda version, rc: ImagesStep(version, rc, push=True),
        ),
        StepSpec(
            "vote",
            "Call the vote",
            "send the [VOTE] message to the dev list",
            requires=("stage",),
            factory=VoteStep,
        ),
        StepSpec(
            "tally",
            "Count the votes",
            "after 72 hours, count binding and non-binding votes",
            requires=("vote",),
            factory=TallyStep,
        ),
        StepSpec(
            "result",
            "Announce the vote result",
            "send the [RESULT][VOTE] message",
            requires=("tally",),
            factory=ResultStep,
        ),
        StepSpec(
            "publish",
            "Publish to dist/release",
            "svn mv the RC directory from dist/dev to dist/release",
            requires=("result",),
            factory=PublishStep,
            waits_for=voted.waits_for,  # the vote passed and its [RESULT] was sent
        ),
        StepSpec(
            "promote",
            "Promote the voted images",
            "copy the voted image index, by digest, to the project's repository",
            requires=("result",),
            factory=PromoteStep,
            waits_for=voted.waits_for,  # the vote passed and its [RESULT] was sent
        ),
        StepSpec(
            "website",
            "Update the website",
            "add the version to the website's releases data file",
            requires=("publish",),
            factory=lambda version, rc: WebsiteStep(version, push=True),
        ),
        StepSpec(
            "announce",
            "Announce the release",
            "send [ANNOUNCE] from your apache.org address",
            requires=("publish",),
            factory=lambda version, rc: AnnounceStep(version, rc, send=True),
        ),
    ]


def process() -> list[StepSpec]:
    return _registry()


def release_status(ctx: Context, version: Version, rc: int | None = None) -> ReleaseStatus:
    history = ctx.ledger.history(str(version))
    rc = rc or _current_rc(ctx, version, history)
    statuses: list[StepStatus] = []
    done: set[str] = set()
    for spec in process():
        status = _step_status(ctx, spec, version, rc, history, done)
        if status.state in (State.DONE, State.NOT_APPLICABLE):
            done.add(spec.name)
        statuses.append(status)
    return ReleaseStatus(version, rc, statuses)


def _current_rc(ctx: Context, version: Version, history: History) -> int:
    from_tags = ctx.names.rc_numbers(version, ctx.git.tags()) if ctx.root else []
    known = [n for n in [history.rc, *from_tags] if n]
    return max(known) if known else 1


def _step_status(
    ctx: Context, spec: StepSpec, version: Version, rc: int, history: History, done: set[str]
) -> StepStatus:
    if version.kind not in spec.kinds:
        return StepStatus(
            spec.name,
            spec.title,
            State.NOT_APPLICABLE,
            f"not part of a {version.kind.value} release",
        )  # no command: the step's own command refuses this kind of release
    if spec.factory is None:
        return StepStatus(
            spec.name,
            spec.title,
            State.MANUAL,
            f"by hand: {spec.by_hand}",
            command_of(ctx, spec, version, rc),
        )
    step = spec.factory(version, rc)
    command = step.command()
    try:
        world = step.done(ctx)
    except ReleaseError as error:
        world = Check(State.UNKNOWN, f"could not look: {error.message}")
    if world.state in (State.DONE, State.INTERRUPTED):
        # a step that sees its own action half-done (a mail the server may have taken) says so
        # first: that is what the next run must settle, whatever else waits or failed
        return StepStatus(spec.name, spec.title, world.state, world.detail, command)
    record = history.step(spec.name, rc)
    missing = [name for name in spec.requires if name not in done]
    if missing:
        return StepStatus(spec.name, spec.title, State.BLOCKED, f"waits for: {', '.join(missing)}", command)
    if spec.waits_for is not None:
        try:
            waiting = spec.waits_for(ctx, version, rc)
        except ReleaseError as error:
            return StepStatus(
                spec.name, spec.title, State.UNKNOWN, f"could not look: {error.message}", command
            )
        if waiting:
            return StepStatus(spec.name, spec.title, State.BLOCKED, f"waits for: {waiting}", command)
    if record.state is StepState.INTENDED:
        return StepStatus(
            spec.name,
            spec.title,
            State.INTERRUPTED,
            "the last run stopped midway; run it again to finish",
            command,
        )
    if record.state is StepState.FAILED and record.failure is not None:
        return StepStatus(
            spec.name,
            spec.title,
            State.FAILED,
            str(record.failure.data.get("message", "")),
            command,
        )
    return StepStatus(spec.name, spec.title, world.state, world.detail, world.command or command)


# --- the exact command of every step, automated or not ------------------------------------------


def command_of(ctx: Context, spec: StepSpec, version: Version, rc: int) -> str:
    """The command line that does the step; every step of the process is automated."""
    return spec.factory(version, rc).command() if spec.factory is not None else ""
