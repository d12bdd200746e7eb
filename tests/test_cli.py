from __future__ import annotations

import json

from asf_release.sandbox.environment import Sandbox
from tests.conftest import run_cli

COMMANDS = [
    "init",
    "profile",
    "status",
    "demo",
    "propose",
    "branch",
    "cherry-pick",
    "keys",
    "package",
    "stage",
    "vote",
    "tally",
    "result",
    "verify",
]


def test_help_lists_each_command_with_its_purpose() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout
    for command in [*COMMANDS, "keys check", "keys add"]:
        helped = run_cli(*command.split(), "--help")
        assert helped.returncode == 0, command
        assert "Example: asf-release" in helped.stdout, command


def test_usage_errors_exit_2() -> None:
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("status", "--no-such-option").returncode == 2


def test_a_bad_version_is_a_usage_error_without_traceback(sandbox_files: Sandbox) -> None:
    done = run_cli("status", "v2.11", cwd=sandbox_files.project_path)
    assert done.returncode == 2
    assert "not a release version" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr


def test_outside_a_checkout_project_commands_say_where_to_run(tmp_path: object) -> None:
    done = run_cli("status", "2.11.0", cwd=tmp_path)  # type: ignore[arg-type]
    assert done.returncode == 2 and "--project" in done.stderr


def test_status_without_a_release_suggests_the_next_versions(sandbox_files: Sandbox) -> None:
    done = run_cli("status", cwd=sandbox_files.project_path)
    assert done.returncode == 0, done.stderr
    assert "Latest release: 2.10.1" in done.stdout
    assert "asf-release propose 2.11.0" in done.stdout and "asf-release propose 2.10.2" in done.stdout


def test_status_lists_every_step_and_the_next_command(sandbox_files: Sandbox) -> None:
    done = run_cli("--project", str(sandbox_files.project_path), "status", "2.11.0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["version"] == "2.11.0" and report["kind"] == "feature"
    names = [step["step"] for step in report["steps"]]
    assert names[:3] == ["propose", "branch", "cherry-pick"] and names[-1] == "announce"
    assert report["next"] is not None


def test_a_patch_release_skips_the_branch_and_picks_its_fixes(sandbox_files: Sandbox) -> None:
    done = run_cli("-C", str(sandbox_files.project_path), "status", "2.10.2", "--json")
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["branch"]["state"] == "n/a"
    # the sample's security fix #1022 is on unstable only: the patch release must pick it
    assert steps["cherry-pick"]["state"] == "pending"
    assert steps["cherry-pick"]["command"] == "asf-release cherry-pick 2.10.2 --apply"


def test_version_flag() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("asf-release ")
