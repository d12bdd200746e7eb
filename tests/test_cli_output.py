"""What people (and scripts) see: help that keeps its words, commands that can be pasted, tables
that fit the terminal and never wrap in a pipe, --plain, and text from outside that cannot act on
the terminal. Every command runs as a real process; terminals are real pseudo-terminals."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import tarfile
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release.cli import load_commands, output
from asf_release.cli.app import command_tree
from asf_release.cmdline import display, mask
from asf_release.sandbox.environment import Sandbox
from tests.conftest import run_cli
from tests.release_fixtures import VERSION, Release
from tests.verify_fixtures import RcFactory, config_env, rc_factory, tar_gz
from tests.vote_fixtures import BRUNO, CHEN, GRACE, Thread, committee_info, reply, vote_mail

__all__ = ["rc_factory"]

HOSTILE = "evil\x1b[2J\x1b]0;pwned\x07:x:[bold]red\u202eexe.txt\u2028\x9b31m"
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _plain_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "TERM")}
    return {**env, **extra}


def in_terminal(*args: str, columns: int, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run asf-release on a real pseudo-terminal `columns` wide; what the terminal received."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "asf_release", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env or _plain_env(TERM="xterm-256color"),
        start_new_session=True,
    )
    os.close(slave)
    received = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received.append(chunk)
    process.wait(timeout=120)
    os.close(master)
    return b"".join(received).decode(errors="replace").replace("\r\n", "\n")


# --- the rendering boundary, on any input ---------------------------------------------------------


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.text())
def test_visible_text_holds_no_character_a_terminal_acts_on(text: str) -> None:
    shown = output.visible(text, one_line=True)
    assert ACTIVE.search(shown) is None and "\n" not in shown
    if ACTIVE.search(text) is None:
        assert output.visible(text) == text  # ordinary text, line breaks included, is left alone


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.recursive(st.none() | st.text() | st.integers(), lambda inner: st.lists(inner, max_size=4)))
def test_json_stays_exact_json_without_active_characters(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False).translate(output._JSON)
    assert json.loads(text) == value
    assert ACTIVE.search(text) is None


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), max_size=6))
def test_a_command_shown_to_people_pastes_back_to_its_argv(argv: list[str]) -> None:
    # what is pasted back is the argv with its secrets masked: the whole argv when it holds none
    assert shlex.split(display(argv)) == mask(argv)


def test_a_secret_never_reaches_the_shown_command() -> None:
    shown = display(["svn", "--password", "hunter2", "https://rm:pw@svn.example/x", "s3"], secrets=["s3"])
    assert "hunter2" not in shown and ":pw@" not in shown and " s3" not in shown
    assert shlex.split(shown) == ["svn", "--password", "******", "https://rm:******@svn.example/x", "******"]


# --- help ------------------------------------------------------------------------------------------


def _help_texts() -> dict[tuple[str, ...], list[str]]:
    """Every command's path and the help strings written in the source (before any escaping)."""
    texts: dict[tuple[str, ...], list[str]] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        helps = [getattr(command, "help", None) or ""]
        helps += [getattr(p, "help", None) or "" for p in getattr(command, "params", [])]
        texts[path] = [h for h in helps if h]
        for name, child in (getattr(command, "commands", None) or {}).items():
            walk(child, (*path, name))

    load_commands()
    walk(command_tree(plain=True), ())
    return texts


def _flat(text: str) -> str:
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def test_every_help_keeps_each_bracketed_word_of_its_source() -> None:
    texts = _help_texts()
    assert len(texts) >= 17 and any("[smtp]" in h for helps in texts.values() for h in helps)
    checked = 0
    for path, helps in texts.items():
        bracketed = {" ".join(m.split()) for h in helps for m in re.findall(r"\[[^\]\n]*\]", h)}
        for plain in (False, True):
            args = ["--plain", *path, "--help"] if plain else [*path, "--help"]
            shown = run_cli(*args, env=_plain_env(COLUMNS="100"))
            assert shown.returncode == 0, (path, shown.stderr)
            flat = _flat(shown.stdout)
            for word in bracketed:
                assert word in flat, (path, plain, word)
                checked += 1
            if plain:
                assert not re.search("[│╭╮╰╯─]", shown.stdout), path  # no box drawing
    assert checked >= 10


def test_verbose_is_a_counter_and_its_help_says_so(sandbox_files: Sandbox) -> None:
    helped = run_cli("--help", env=_plain_env(COLUMNS="120")).stdout
    line = next(line for line in helped.splitlines() if "--verbose" in line)
    assert "<int>" not in line and "-vv" in _flat(helped)
    project = str(sandbox_files.project_path)
    loud = run_cli("-vv", "-C", project, "status", "2.11.0")
    assert loud.returncode == 0 and "run: git" in loud.stderr
    commands = [
        line.split("run: ", 1)[1].split("  (in ")[0] for line in loud.stderr.splitlines() if "run: " in line
    ]
    assert commands and all(shlex.split(c)[0] in ("git", "svn", "gpg", "gpgconf") for c in commands)
    wrong = run_cli("-v", "2", "-C", project, "status")
    assert wrong.returncode == 2 and "-v is a counter and takes no number: write -vv" in wrong.stderr


# --- --dry-run: commands that paste back to the argv -------------------------------------------------


def _shown_commands(text: str) -> list[list[str]]:
    return [shlex.split(line.strip()[2:]) for line in text.splitlines() if line.strip().startswith("$ ")]


def _planned_commands(document: dict[str, object]) -> list[list[str]]:
    actions = document["actions"]
    assert isinstance(actions, list)
    return [a["command"] for a in actions if a["command"]]


def test_every_dry_run_command_round_trips_to_the_argv_of_its_plan(keyed: Release) -> None:
    for args in (("package", VERSION, "--dry-run"), ("stage", VERSION, "--rc", "1", "--dry-run")):
        human = keyed.cli(*args)
        machine = keyed.cli(*args, "--json")
        assert human.returncode == 0 and machine.returncode == 0, human.stderr + machine.stderr
        document = json.loads(machine.stdout)
        planned = _planned_commands(document)
        assert planned, f"{args[0]} --dry-run shows its commands"
        assert _shown_commands(human.stdout) == planned
        for action in document["actions"]:
            assert shlex.split(action["shell"]) == action["command"]
        if args[0] == "package":
            assert keyed.cli("package", VERSION).returncode == 0


def _after(argv: list[str], *flags: str) -> str:
    return next(argv[i + 1] for i, arg in enumerate(argv) if arg in flags)


def test_keys_add_dry_run_shows_a_commit_message_that_pastes_whole(release: Release) -> None:
    checked = release.cli("keys", "check")
    assert checked.stdout.count("RSA 4096") == 1, checked.stdout  # the key's strength, said once
    human = release.cli("keys", "add", "--dry-run")
    machine = json.loads(release.cli("keys", "add", "--dry-run", "--json").stdout)
    shown = _shown_commands(human.stdout)
    assert shown == _planned_commands(machine)
    planned = next(argv for argv in shown if argv[:2] == ["svn", "commit"])
    message = _after(planned, "-m", "--message")
    assert "Riley Morgan" in message and " " in message  # one argument, spaces and all
    # the command actually run, as -vv logs it, pastes back to the same message
    done = release.cli("-vv", "keys", "add")
    assert done.returncode == 0, done.stderr
    logged = [
        shlex.split(line.split("run: ", 1)[1].split("  (in ")[0])
        for line in done.stderr.splitlines()
        if "run: svn" in line
    ]
    ran = next(argv for argv in logged if "commit" in argv)
    assert _after(ran, "-m", "--message") == message and "--password-from-stdin" in ran


# --- terminal-safe output of outside text ------------------------------------------------------------


def test_names_from_an_archive_and_a_listing_cannot_act_on_the_terminal(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    members = rc_factory.good_tar_members()
    info = tarfile.TarInfo(f"{rc_factory.top}/src/{HOSTILE}")
    info.size = 3
    members.append((info, b"hi\n"))
    rc = rc_factory.build(archive=tar_gz(members))
    (rc / HOSTILE).write_text("an unexpected file in the RC directory\n")
    args = ["verify", str(rc), "--keys", str(rc_factory.keyring.keys_file), "--git", str(rc_factory.repo)]
    args += ["--profile", "kvrocks"]  # outside a checkout: the profile that names the RC's tag
    env = config_env(tmp_path)
    shown = in_terminal(*args, "--no-build", "--rc", "1", columns=200, cwd=tmp_path, env=env)
    # our own colours and progress bar use ESC [ ... (CSI); nothing of the name reaches the terminal
    assert "\x1b[2J" not in shown
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).replace("\r", "")
    assert ACTIVE.search(text.replace("\n", "").replace("\t", "")) is None
    assert "verdict: FAIL" in text  # the planted file carries no ASF header: headers names it
    assert output.visible(HOSTILE, one_line=True) in text, text
    assert ":x:" in text and "[bold]red" in text  # no emoji, no markup taken from outside
    machine = run_cli(*args, "--no-build", "--rc", "1", "--json", cwd=tmp_path, env=env)
    assert ACTIVE.search(machine.stdout) is None
    paths = [f["path"] for c in json.loads(machine.stdout)["checks"] for f in c["findings"]]
    assert HOSTILE in paths or any(p.endswith(HOSTILE) for p in paths)  # JSON keeps the exact name


def test_mail_senders_and_subjects_cannot_act_on_the_terminal(tmp_path: Path) -> None:
    vote = vote_mail()
    vote.at = datetime.now(UTC) - timedelta(hours=100)
    eve = ("Eve\x1b[2J\x1b[31m :x: [red]", "eve@example.org")
    replies = [
        reply(vote, who, "+1\n", hours) for who, hours in ((BRUNO, 1), (CHEN, 2), (GRACE, 3), (eve, 4))
    ]
    for number, mail in enumerate(replies, start=1):
        mail.at = vote.at + timedelta(hours=number)
    replies[-1].subject = "Re: [VOTE] \x1b]0;owned\x07 :x:"
    mbox = Thread().add(vote, *replies).mbox(tmp_path / "dev.mbox")
    roster = tmp_path / "committee-info.json"
    roster.write_text(json.dumps(committee_info()))
    done = run_cli("tally", "2.11.0", "--thread", str(mbox), "--roster", str(roster), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    # the tally keeps a name on one line (controls become spaces); markup and emoji codes stay text
    assert "Eve [2J [31m :x: [red]" in done.stdout


# --- tables: the terminal's width, never wrapped in a pipe; --plain ------------------------------------


def test_status_fits_a_wide_terminal_and_never_wraps_in_a_pipe(sandbox_files: Sandbox) -> None:
    project = str(sandbox_files.project_path)
    assert run_cli("-C", project, "propose", VERSION).returncode == 0  # says at length it is not sent
    steps = json.loads(run_cli("-C", project, "status", VERSION, "--json").stdout)["steps"]
    longest = max(steps, key=lambda s: len(s["title"]) + len(s["detail"]))
    assert len(longest["title"]) + len(longest["detail"]) > 80  # a row wider than 80 columns

    def row(text: str) -> str:
        return next(line for line in text.splitlines() if longest["title"] in line)

    piped = run_cli("-C", project, "status", VERSION, env=_plain_env(COLUMNS="40")).stdout
    assert longest["detail"] in row(piped) and not any(line.endswith(" ") for line in piped.splitlines())
    wide = in_terminal("-C", project, "status", VERSION, columns=320)
    assert longest["detail"] in row(wide)
    narrow = in_terminal("-C", project, "status", VERSION, columns=80)
    assert longest["detail"] not in row(narrow)  # the test can see wrapping: the wide one had none


def test_plain_output_has_no_colour_no_symbols_no_box_drawing(sandbox_files: Sandbox) -> None:
    project = str(sandbox_files.project_path)
    coloured = in_terminal("-C", project, "status", VERSION, columns=120)
    assert "\x1b[" in coloured  # a terminal gets colour by default
    for shown in (
        in_terminal("--plain", "-C", project, "status", VERSION, columns=120),
        in_terminal(
            "-C", project, "status", VERSION, columns=120, env=_plain_env(NO_COLOR="1", TERM="xterm")
        ),
        in_terminal("--plain", "--help", columns=120),
    ):
        assert "\x1b" not in shown
        assert not re.search("[│╭╮╰╯─✓→•▶]", shown)


# --- hints that name the option a person needs -------------------------------------------------------


def test_tally_says_how_to_count_without_the_list_archive(sandbox: Sandbox, tmp_path: Path) -> None:
    outside = run_cli("tally", "2.11.0", cwd=tmp_path)
    assert outside.returncode == 2 and "--thread" in outside.stderr and "Traceback" not in outside.stderr
    # in the checkout, the thread's archive cannot be reached (as offline)
    config = tmp_path / "offline.toml"
    lines = sandbox.user_config.read_text().splitlines()
    config.write_text(
        "\n".join(
            'thread = "http://127.0.0.1:1/thread/abc"' if line.startswith("thread") else line
            for line in lines
        )
    )
    env = {**sandbox.env(), "ASF_RELEASE_CONFIG": str(config)}
    offline = run_cli("-C", str(sandbox.project_path), "tally", "2.11.0", env=env)
    assert offline.returncode == 3, offline.stdout + offline.stderr
    assert "--thread FILE" in offline.stderr and "Traceback" not in offline.stderr
