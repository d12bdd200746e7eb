"""verify without an argument, in a release checkout: the release's current RC, from the ledger;
and the reply's "(binding)" or "(non-binding)" when the voter and the roster are known."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import run_cli
from tests.release_fixtures import VERSION, Release


def test_verify_without_an_argument_verifies_the_current_candidate(keyed: Release, tmp_path: Path) -> None:
    nothing = keyed.cli("verify", "--no-build")
    assert nothing.returncode == 2 and "has not packaged one" in nothing.stderr
    assert "asf-release verify 2.11.0 --rc 1" in nothing.stderr and "Traceback" not in nothing.stderr

    assert keyed.cli("package", VERSION).returncode == 0
    local = keyed.cli("verify", "--no-build")
    assert local.returncode == 0, local.stdout + local.stderr
    assert f"verifying 2.11.0-rc1, packaged (not staged yet) in {keyed.out}" in local.stderr
    assert f"2.11.0-rc1 from {keyed.out}" in local.stdout and "verdict: PASS" in local.stdout

    assert keyed.cli("stage", VERSION, "--rc", "1").returncode == 0
    staged = keyed.cli("verify", "--no-build")
    url = f"svn://127.0.0.1:{keyed.sandbox.svn.port}/dist/dev/kvrocks/2.11.0-rc1"
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert f"verifying 2.11.0-rc1, staged at {url}" in staged.stderr
    assert f"2.11.0-rc1 from {url}" in staged.stdout

    # moved to dist/release by hand, as the release guide does: the voted files are there now
    dev, release = "dev/kvrocks/2.11.0-rc1", "release/kvrocks/2.11.0"
    keyed.svn("mv", "-q", "-m", "Release 2.11.0", f"{keyed.dist}/{dev}", f"{keyed.dist}/{release}")
    moved = keyed.cli("verify", "--no-build")
    released = f"svn://127.0.0.1:{keyed.sandbox.svn.port}/dist/{release}"
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert f"verifying 2.11.0-rc1, published at {released}" in moved.stderr

    outside = run_cli("verify", cwd=tmp_path)
    assert outside.returncode == 2 and "Outside a project checkout" in outside.stderr
    assert "asf-release verify 2.11.0 --rc 1" in outside.stderr


def _config_without_apache_id(release: Release, tmp_path: Path) -> dict[str, str]:
    """The sandbox's personal config, without release_manager.apache_id and name."""
    text = release.sandbox.user_config.read_text()
    kept = [line for line in text.splitlines() if not line.startswith(("apache_id", "name", "docker_user"))]
    path = tmp_path / "no-id.toml"
    path.write_text("\n".join(kept) + "\n")
    assert "apache_id" not in tomllib.loads(path.read_text()).get("release_manager", {})
    return {"ASF_RELEASE_CONFIG": str(path)}


def test_the_reply_says_binding_or_non_binding_for_a_known_voter(keyed: Release, tmp_path: Path) -> None:
    assert keyed.cli("package", VERSION).returncode == 0
    # the personal config names the voter (rm), the sandbox's committee-info.json has rm on the PMC
    rm = keyed.cli("verify", "--no-build", "--reply")
    assert rm.returncode == 0, rm.stderr
    assert rm.stdout.startswith("+1 (binding)\n")
    assert "Riley Morgan is on the PMC roster" in rm.stderr

    # a roster on which rm is not on the PMC
    roster = tmp_path / "roster.toml"
    roster.write_text('[people.rm]\nname = "Riley Morgan"\naddresses = ["rm@apache.org"]\npmc = false\n')
    outsider = keyed.cli("verify", "--no-build", "--reply", "--roster", str(roster))
    assert outsider.stdout.startswith("+1 (non-binding)\n"), outsider.stdout

    # no Apache id in the config: the key that `git config user.email` names (Alice's, a PMC member)
    alice = keyed.cli("verify", "--no-build", "--reply", env=_config_without_apache_id(keyed, tmp_path))
    assert alice.stdout.startswith("+1 (binding)\n"), alice.stdout + alice.stderr
    assert "Alice Zhang is on the PMC roster" in alice.stderr

    # a roster that cannot be read: the reply says how to decide, rather than guess
    unknown = keyed.cli("verify", "--no-build", "--reply", "--roster", str(tmp_path / "missing.json"))
    assert unknown.stdout.startswith('+1 (add "binding" if you are on the PMC)')
