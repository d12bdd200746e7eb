"""images and promote in the sandbox: built by buildah from the packaged candidate, pushed to a
real registry on 127.0.0.1, checked, named in the VOTE, promoted by digest after the vote."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from asf_release.context import Context
from asf_release.ledger import EventKind
from asf_release.sandbox.environment import Sandbox
from tests.image_fixtures import KVROCKS_LAYOUT, LICENSE_FILES, buildah_image, context
from tests.release_fixtures import VERSION, Release


@pytest.fixture
def packaged(keyed: Release) -> Release:
    done = keyed.cli("package", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    return keyed


@pytest.fixture
def imaged(packaged: Release) -> Release:
    done = packaged.cli("images", VERSION, "--rc", "1", "--push", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return packaged


def _ctx(sandbox: Sandbox) -> Context:
    return Context.load(sandbox.project_path, env=sandbox.env())


def _digest(sandbox: Sandbox, reference: str) -> str | None:
    done = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"],
        env=sandbox.env(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return "sha256:" + hashlib.sha256(done.stdout).hexdigest()


def _facts(sandbox: Sandbox, step: str) -> dict[str, object]:
    ctx = _ctx(sandbox)
    try:
        return dict(ctx.ledger.history(VERSION).facts(step, 1))
    finally:
        ctx.close()


def test_images_builds_both_platforms_pushes_checks_and_records(imaged: Release) -> None:
    sandbox = imaged.sandbox
    facts = _facts(sandbox, "images")
    staging = f"{sandbox.registry.host}/rm/kvrocks"
    assert facts["image"] == f"{staging}:{VERSION}"
    assert _digest(sandbox, f"{staging}:{VERSION}") == facts["digest"]
    assert _digest(sandbox, f"{staging}:latest") == facts["digest"]
    assert sorted(facts["platforms"]) == ["linux/amd64", "linux/arm64"]  # type: ignore[call-overload]
    assert facts["checks"] == {
        "image-platforms": "pass",
        "image-licenses": "pass",
        "image-version": "pass",
        "image-runs": "pass",
    }
    # run again: the registry still names the recorded digest, nothing is built
    again = imaged.cli("images", VERSION, "--rc", "1", "--push")
    assert again.returncode == 0, again.stderr
    assert "already done" in again.stdout
    status = json.loads(imaged.cli("status", VERSION, "--json").stdout)
    images = next(s for s in status["steps"] if s["step"] == "images")
    assert images["state"] == "done" and facts["digest"] in images["detail"]  # type: ignore[operator]


def test_a_kill_after_the_push_is_finished_without_building_again(packaged: Release) -> None:
    killed = packaged.cli("images", VERSION, "--rc", "1", "--push", crash_at="images:pushed")
    assert killed.returncode != 0
    host = packaged.sandbox.registry.host
    pushed = _digest(packaged.sandbox, f"{host}/rm/kvrocks:{VERSION}")
    assert pushed is not None and _facts(packaged.sandbox, "images") == {}
    done = packaged.cli("images", VERSION, "--rc", "1", "--push")
    assert done.returncode == 0, done.stderr
    assert "not built again" in done.stdout
    assert _facts(packaged.sandbox, "images")["digest"] == pushed


def test_a_voter_verifies_the_image_and_the_reply_answers_the_docker_lines(imaged: Release) -> None:
    facts = _facts(imaged.sandbox, "images")
    reference = f"{facts['image']}@{facts['digest']}"
    done = imaged.cli(
        "verify",
        str(imaged.out),
        "--keys",
        str(imaged.sandbox.svn.release_url()) + "/KEYS",
        "--no-build",
        "--only",
        "license,notice,image-platforms,image-licenses,image-version,image-runs",
        "--image",
        reference,
        "--reply",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[x] Docker image with right version: OK" in done.stdout
    assert "[x] Docker image contains license files: OK" in done.stdout
    assert "[x] Docker image can work well: OK" in done.stdout


def test_verify_in_the_checkout_finds_the_image_the_ledger_recorded(imaged: Release) -> None:
    facts = _facts(imaged.sandbox, "images")
    done = imaged.cli(
        "verify", str(imaged.out), "--rc", "1", "--no-build", "--only", "image-platforms", "--json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (check,) = json.loads(done.stdout)["checks"]
    assert check["id"] == "image-platforms" and check["status"] == "pass"
    assert str(facts["digest"])[:19] in check["summary"]


def test_dry_run_prints_the_buildah_commands(packaged: Release) -> None:
    done = packaged.cli(
        "images", VERSION, "--rc", "1", "--push", "--builder", "buildah", "--jobs", "3", "--dry-run", "--json"
    )
    assert done.returncode == 0, done.stderr
    commands = [a["command"] for a in json.loads(done.stdout)["actions"]]
    builds = [c for c in commands if c[:2] == ["buildah", "bud"]]
    assert [c[c.index("--platform") + 1] for c in builds] == ["linux/amd64", "linux/arm64"]
    assert all("MORE_BUILD_ARGS=-j3" in c for c in builds)
    pushes = [c for c in commands if c[:3] == ["buildah", "manifest", "push"]]
    host = packaged.sandbox.registry.host
    assert [c[-1] for c in pushes] == [
        f"docker://{host}/rm/kvrocks:{VERSION}",
        f"docker://{host}/rm/kvrocks:latest",
    ]
    assert all("--all" in c for c in pushes)
    assert _digest(packaged.sandbox, f"{host}/rm/kvrocks:{VERSION}") is None  # nothing pushed


def test_dry_run_with_buildx_prints_the_seed_command(packaged: Release) -> None:
    done = packaged.cli(
        "images", VERSION, "--rc", "1", "--push", "--builder", "docker", "--jobs", "12",
        "--http-proxy", "http://proxy.example:3128", "--dry-run", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    commands = [a["command"] for a in json.loads(done.stdout)["actions"]]
    buildx = next(c for c in commands if c[:3] == ["docker", "buildx", "build"])
    host = packaged.sandbox.registry.host
    tree = (
        packaged.project
        / ".git"
        / "asf-release"
        / "images"
        / f"{VERSION}-rc1"
        / f"apache-kvrocks-{VERSION}-src"
    )
    ctx = _ctx(packaged.sandbox)
    commit = ctx.ledger.history(VERSION).facts("package", 1)["commit"]
    ctx.close()
    assert buildx == [
        "docker", "buildx", "build", "--platform", "linux/amd64,linux/arm64",
        "--tag", f"{host}/rm/kvrocks:{VERSION}", "--tag", f"{host}/rm/kvrocks:latest",
        "--file", str(tree / "Dockerfile"),
        "--build-arg", "MORE_BUILD_ARGS=-j12", "--build-arg", "http_proxy=http://proxy.example:3128",
        "--label", f"org.opencontainers.image.version={VERSION}",
        "--label", f"org.opencontainers.image.revision={commit}",
        "--label", "org.opencontainers.image.source=https://github.com/apache/kvrocks",
        "--output", "type=registry", str(tree),
    ]  # fmt: skip


def test_the_vote_refuses_a_candidate_without_its_image_unless_told(packaged: Release) -> None:
    staged = packaged.cli("stage", VERSION, "--rc", "1")
    assert staged.returncode == 0, staged.stderr
    refused = packaged.cli("vote", VERSION, "--rc", "1")
    assert refused.returncode == 2
    assert f"asf-release images {VERSION} --rc 1 --push" in refused.stderr
    assert "--no-image" in refused.stderr
    told = packaged.cli("vote", VERSION, "--rc", "1", "--no-image")
    assert told.returncode == 0, told.stderr
    assert "Docker image" not in told.stdout
    # said once, remembered: status shows the images step as not applicable
    status = json.loads(packaged.cli("status", VERSION, "--json").stdout)
    assert next(s for s in status["steps"] if s["step"] == "images")["state"] == "n/a"


def test_the_vote_names_the_image_by_digest(imaged: Release) -> None:
    assert imaged.cli("stage", VERSION, "--rc", "1").returncode == 0
    done = imaged.cli("vote", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stderr
    facts = _facts(imaged.sandbox, "images")
    assert f"Docker image: {facts['image']}@{facts['digest']}" in done.stdout
    assert _facts(imaged.sandbox, "vote")["image_digest"] == facts["digest"]


def _voted(release: Release) -> None:
    """The vote sent (its facts name the image), counted as passed and its [RESULT] sent, as tally
    and result record them."""
    assert release.cli("stage", VERSION, "--rc", "1").returncode == 0
    assert release.cli("vote", VERSION, "--rc", "1").returncode == 0
    ctx = _ctx(release.sandbox)
    ctx.ledger.append(VERSION, "tally", EventKind.RESULT, {"verdict": "passed", "summary": "passed"}, rc=1)
    sent = {"message_id": "<result@example.org>", "date": "2025-03-06T10:00:00+00:00"}
    ctx.ledger.append(VERSION, "result", EventKind.NOTE, {"mail": "composed", "file": "", **sent}, rc=1)
    ctx.ledger.append(
        VERSION, "result", EventKind.NOTE, {"mail": "sent", "how": "sent by SMTP", **sent}, rc=1
    )
    ctx.ledger.append(VERSION, "result", EventKind.RESULT, {"sent": True, "verdict": "passed"}, rc=1)
    ctx.close()


def test_promote_before_the_vote_passed_is_refused(imaged: Release) -> None:
    done = imaged.cli("promote", VERSION)
    assert done.returncode == 1
    assert "cannot be promoted: no tally or [RESULT] says the vote passed" in done.stderr
    assert f"asf-release tally {VERSION} --rc 1" in done.stderr
    assert _digest(imaged.sandbox, f"{imaged.sandbox.registry.host}/apache/kvrocks:{VERSION}") is None


def test_promote_copies_the_voted_index_to_every_tag_once(imaged: Release) -> None:
    _voted(imaged)
    voted = _facts(imaged.sandbox, "vote")["image_digest"]
    dry = imaged.cli("promote", VERSION, "--dry-run", "--json")
    commands = [a["command"] for a in json.loads(dry.stdout)["actions"]]
    assert [c[:4] for c in commands] == [["skopeo", "copy", "--all", "--preserve-digests"]] * 2
    done = imaged.cli("promote", VERSION)
    assert done.returncode == 0, done.stderr
    host = imaged.sandbox.registry.host
    for tag in (VERSION, "latest"):
        assert _digest(imaged.sandbox, f"{host}/apache/kvrocks:{tag}") == voted
    again = imaged.cli("promote", VERSION)
    assert again.returncode == 0 and "already done" in again.stdout
    status = json.loads(imaged.cli("status", VERSION, "--json").stdout)
    assert next(s for s in status["steps"] if s["step"] == "promote")["state"] == "done"


def test_a_promote_killed_between_two_tags_is_finished_by_the_next_run(imaged: Release) -> None:
    _voted(imaged)
    killed = imaged.cli("promote", VERSION, crash_at="promote:copied")
    assert killed.returncode != 0
    host = imaged.sandbox.registry.host
    voted = _facts(imaged.sandbox, "vote")["image_digest"]
    assert _digest(imaged.sandbox, f"{host}/apache/kvrocks:{VERSION}") == voted
    assert _digest(imaged.sandbox, f"{host}/apache/kvrocks:latest") is None
    done = imaged.cli("promote", VERSION)
    assert done.returncode == 0, done.stderr
    assert "already names" in done.stdout  # the first tag is not copied again
    assert _digest(imaged.sandbox, f"{host}/apache/kvrocks:latest") == voted


def test_promote_refuses_a_digest_that_changed_after_the_vote(imaged: Release) -> None:
    _voted(imaged)
    ctx = _ctx(imaged.sandbox)
    recorded = dict(ctx.ledger.history(VERSION).facts("images", 1))
    # the images step's record now names another index than the one the VOTE named
    ctx.ledger.append(VERSION, "images", EventKind.RESULT, {**recorded, "digest": "sha256:" + "0" * 64}, rc=1)
    ctx.close()
    done = imaged.cli("promote", VERSION)
    assert done.returncode == 2
    assert "the digest changed after the vote" in done.stderr
    assert _digest(imaged.sandbox, f"{imaged.sandbox.registry.host}/apache/kvrocks:{VERSION}") is None


def test_promote_copies_the_voted_digest_when_the_staging_tag_moved(imaged: Release, tmp_path: Path) -> None:
    _voted(imaged)
    sandbox = imaged.sandbox
    voted = _facts(sandbox, "vote")["image_digest"]
    staging = f"{sandbox.registry.host}/rm/kvrocks:{VERSION}"
    folder = context(tmp_path / "other", LICENSE_FILES, KVROCKS_LAYOUT)
    moved = buildah_image(sandbox.env(), staging, {"linux/amd64": folder})
    assert moved.digest != voted
    done = imaged.cli("promote", VERSION)
    assert done.returncode == 0, done.stderr
    assert f"now names {moved.digest}" in done.stdout
    assert _digest(sandbox, f"{sandbox.registry.host}/apache/kvrocks:{VERSION}") == voted


def test_images_refuses_to_replace_the_image_a_sent_vote_names(imaged: Release, tmp_path: Path) -> None:
    assert imaged.cli("stage", VERSION, "--rc", "1").returncode == 0
    assert imaged.cli("vote", VERSION, "--rc", "1", "--send").returncode == 0
    # someone pushed over the staging tag: the step would build again, but the VOTE is out
    sandbox = imaged.sandbox
    folder = context(tmp_path / "other", LICENSE_FILES, KVROCKS_LAYOUT)
    buildah_image(sandbox.env(), f"{sandbox.registry.host}/rm/kvrocks:{VERSION}", {"linux/amd64": folder})
    done = imaged.cli("images", VERSION, "--rc", "1", "--push")
    assert done.returncode == 2
    assert "already names" in done.stderr and "--rc N+1" in done.stderr
