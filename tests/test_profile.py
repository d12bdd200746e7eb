from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from asf_release import profile as profile_module
from asf_release.errors import ConfigError
from tests.conftest import run_cli


def git_init(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_builtin_profile_holds_the_project_facts(builtin: profile_module.Profile) -> None:
    assert builtin.name == "kvrocks"
    assert builtin.git.unstable_branch == "unstable"
    assert builtin.fmt("git.rc_tag", version="2.11.0", rc=2) == "v2.11.0-rc2"
    assert builtin.fmt("git.release_branch", major=2, minor=11) == "2.11"
    assert builtin.fmt("source.artifact", version="2.11.0") == "apache-kvrocks-2.11.0-src.tar.gz"
    assert builtin.dist.dev_url == "https://dist.apache.org/repos/dist/dev/kvrocks"
    assert builtin.mail.dev_list == "dev@kvrocks.apache.org"
    assert builtin.vote.rule == "kvrocks" and builtin.vote.min_hours == 72
    assert builtin.docker.platforms == ["linux/amd64", "linux/arm64"]
    assert builtin.sources == ()


def test_project_file_overrides_keys_and_static_placeholders_follow(tmp_path: Path) -> None:
    write(
        tmp_path / "asf-release.toml",
        'profile = "kvrocks"\n[project]\nshort_name = "pony"\n[vote]\nrule = "asf"\n',
    )
    loaded = profile_module.load(tmp_path, env={})
    assert loaded.vote.rule == "asf"
    assert loaded.dist.dev_url == "https://dist.apache.org/repos/dist/dev/pony"
    assert loaded.fmt("source.top_directory", version="1.0.0") == "apache-pony-1.0.0-src"
    assert loaded.origins["vote.rule"] == str(tmp_path / "asf-release.toml")
    assert "dist.dev_url" not in loaded.origins


def test_personal_config_wins_over_the_project(tmp_path: Path) -> None:
    write(tmp_path / "asf-release.toml", '[smtp]\nhost = "project.example"\n')
    user = write(tmp_path / "me.toml", '[smtp]\nhost = "127.0.0.1"\nport = 2525\n')
    loaded = profile_module.load(tmp_path, env={"ASF_RELEASE_CONFIG": str(user)})
    assert (loaded.smtp.host, loaded.smtp.port) == ("127.0.0.1", 2525)
    assert loaded.sources == (str(tmp_path / "asf-release.toml"), str(user))


@pytest.mark.parametrize(
    ("text", "key", "line", "words"),
    [
        ('[git]\nremote = "origin"\nunstabel_branch = "main"\n', "git.unstabel_branch", 3, "unknown key"),
        ('[vote]\nmin_hours = "72"\n', "vote.min_hours", 2, "expected a whole number, found a string"),
        ('[vote]\nrule = "majority"\n', "vote.rule", 2, "expected one of kvrocks, asf"),
        ('[source]\nchecksums = "sha512"\n', "source.checksums", 2, "expected a list of strings"),
        ("[nonsense]\nx = 1\n", "nonsense", 1, "unknown section"),
        ("[git]\nsign_tags = 1\n", "git.sign_tags", 2, "expected true or false"),
    ],
)
def test_a_bad_project_file_names_file_key_line_and_expectation(
    tmp_path: Path, text: str, key: str, line: int, words: str
) -> None:
    path = write(tmp_path / "asf-release.toml", text)
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    error = caught.value
    assert (error.file, error.key, error.line) == (str(path), key, line)
    assert words in error.message and str(path) in error.message


def test_a_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    write(tmp_path / "asf-release.toml", '[git]\nremote = "origin"\nrc_tag = v{version}\n')
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    assert caught.value.line == 3
    assert "not valid TOML" in caught.value.message


def test_an_unknown_placeholder_is_refused_at_load(tmp_path: Path) -> None:
    write(tmp_path / "asf-release.toml", '[git]\nrc_tag = "v{verison}-rc{rc}"\n')
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    assert caught.value.key == "git.rc_tag" and "{verison}" in caught.value.message


def test_a_placeholder_without_a_value_names_the_key(builtin: profile_module.Profile) -> None:
    with pytest.raises(ConfigError) as caught:
        builtin.fmt("git.rc_tag", version="1.0.0")
    assert caught.value.key == "git.rc_tag" and "{rc}" in caught.value.message


def test_unknown_base_profile_lists_the_builtin_ones(tmp_path: Path) -> None:
    write(tmp_path / "asf-release.toml", 'profile = "nope"\n')
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    assert caught.value.hint and "kvrocks" in caught.value.hint


def test_init_text_has_every_key_commented_and_loads_as_the_builtin(
    tmp_path: Path, builtin: profile_module.Profile
) -> None:
    text = profile_module.init_text("kvrocks")
    for section, values in builtin.as_dict().items():
        assert f"[{section}]" in text
        for key in values:
            assert f"\n# {key} = " in text, key
    write(tmp_path / "asf-release.toml", text)
    assert profile_module.load(tmp_path, env={}).as_dict() == builtin.as_dict()


def test_cli_reports_a_bad_file_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    git_init(tmp_path)
    write(tmp_path / "asf-release.toml", '[vote]\nmin_hours = "soon"\n')
    done = run_cli("profile", cwd=tmp_path)
    assert done.returncode == 2
    assert "asf-release.toml, line 2, key 'vote.min_hours'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_cli_init_writes_the_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    git_init(tmp_path)
    first = run_cli("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "asf-release.toml").read_text().startswith("# asf-release settings")
    second = run_cli("init", cwd=tmp_path)
    assert second.returncode == 2 and "already exists" in second.stderr and "--force" in second.stderr


def test_cli_profile_json_shows_effective_values(tmp_path: Path) -> None:

    git_init(tmp_path)
    write(tmp_path / "asf-release.toml", "[vote]\nmin_hours = 96\n")
    done = run_cli("profile", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["values"]["vote"]["min_hours"] == 96
    assert data["sources"] == [str(tmp_path / "asf-release.toml")]


def test_the_generic_profile_holds_every_key_of_every_built_in_profile() -> None:
    """Every built-in profile stands on the generic one: a key only a project profile knows would
    be missing for everyone else."""
    import tomllib

    def keys(name: str) -> set[str]:
        data = tomllib.loads(profile_module.builtin_text(name))
        return {
            f"{section}.{key}"
            for section, values in data.items()
            if isinstance(values, dict)
            for key in values
        }

    generic = keys("generic")
    for name in profile_module.builtin_names():
        assert keys(name) <= generic, (name, sorted(keys(name) - generic))
