"""Tally a vote in a busy mailbox: 10,000 messages in many threads, timed against the plain tools.

    .venv/bin/python -m benchmarks.tally [--messages 10000] [--runs 3]

Generates a month-of-the-list mbox (DISCUSS threads, other projects' VOTEs, GitHub notifications,
long quoted replies) holding one [VOTE] thread of 40 replies, then times, in one run:
  - asf-release tally (the real command, in a child process, Python start-up included);
  - grep -c '^From ' (counting the messages, the least any tool must do);
  - Python's mailbox module parsing every message (what a naive script would do).
Prints each figure (best of --runs) and the ratios. The target is tally <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asf_release.cmdline import display
from benchmarks import compile_sources

TARGET_SECONDS = 2.0
VOTE_SUBJECT = "[VOTE] Release Apache Kvrocks 2.11.0-rc1"
PMC = ["rm", "alice", "bruno", "chenwei", "grace", "jbonofre", "liuxin"]
NAMES = {
    "rm": "Riley Morgan",
    "alice": "Alice Zhang",
    "bruno": "Bruno Costa",
    "chenwei": "Chen Wei",
    "grace": "Grace Hopkins",
    "jbonofre": "Jean-Baptiste Onofre",
    "liuxin": "Liu Xin",
}
FILLER = (
    "I had a look at the change and the approach seems fine to me. There is one thing I would\n"
    "like to understand better: how does this behave when the replica lags behind by more than\n"
    "the configured window? The tests cover the happy path only.\n"
)


def _message(
    number: int, sender: str, subject: str, when: datetime, body: str, parent: str | None = None
) -> tuple[str, str]:
    message_id = f"<CA+bench{number:06d}@mail.gmail.com>"
    headers = [
        f"From {sender.rsplit('<', maxsplit=1)[-1].rstrip('>')} {when:%a %b %d %H:%M:%S %Y}",
        f"From: {sender}",
        "To: dev@kvrocks.apache.org",
        f"Subject: {subject}",
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="UTF-8"',
        "List-Id: <dev.kvrocks.apache.org>",
    ]
    if parent:
        headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
    return message_id, "\n".join(headers) + "\n\n" + body.replace("\nFrom ", "\n>From ") + "\n"


def generate(path: Path, total: int, seed: int = 7) -> None:
    """An mbox of `total` messages: the vote thread (41) among threads of 2 to 30 messages."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    vote_at = start + timedelta(days=10)
    out: list[str] = []
    number = 0
    vote_id, text = _message(
        number,
        "Riley Morgan <rm@apache.org>",
        VOTE_SUBJECT,
        vote_at,
        "Please vote.\n\n[ ] +1 approve\n[ ] -1 disapprove\n",
    )
    out.append(text)
    number += 1
    voters = PMC[1:] + [f"user{i}" for i in range(33)]
    for index, voter in enumerate(voters):
        email = f"{voter}@apache.org" if voter in PMC else f"{voter}@example.com"
        name = NAMES.get(voter, voter.title())
        vote = "+1 (binding)" if voter in PMC else rng.choice(["+1", "+1 (non-binding)", "0", "+1"])
        body = f"{vote}\n\n{FILLER}\nOn Mon, Mar 10, 2025 Riley Morgan <rm@apache.org> wrote:\n> Please vote.\n> [ ] +1 approve\n"
        _, text = _message(
            number,
            f"{name} <{email}>",
            f"Re: {VOTE_SUBJECT}",
            vote_at + timedelta(hours=index + 1),
            body,
            vote_id,
        )
        out.append(text)
        number += 1
    subjects = [
        "[DISCUSS] Release Apache Kvrocks {n}.0.0",
        "[VOTE] Release Apache Kvrocks Controller 1.{n}.0-rc1",
        "[GitHub] [kvrocks] feat: support command #{n}",
        "Question about cluster mode ({n})",
    ]
    while number < total:
        subject = rng.choice(subjects).format(n=number)
        size = min(rng.randint(2, 30), total - number)
        when = start + timedelta(minutes=rng.randint(0, 40000))
        parent = None
        for position in range(size):
            uid = rng.choice([*PMC, "dana", "erik", "frank"])
            body = ("+1\n\n" if "[VOTE]" in subject else "") + FILLER * rng.randint(1, 6)
            if parent:
                body += "\nOn Tue someone wrote:\n" + "".join(
                    f"> {line}\n" for line in FILLER.splitlines() * 3
                )
            subject_line = subject if position == 0 else f"Re: {subject}"
            message_id, text = _message(number, f"{uid} <{uid}@apache.org>", subject_line, when, body, parent)
            parent = parent or message_id
            out.append(text)
            number += 1
            when += timedelta(minutes=rng.randint(5, 600))
    rng.shuffle(out)  # archives are not always in order
    path.write_text("\n".join(out))


def roster(path: Path) -> None:
    members = {uid: {"name": NAMES[uid], "date": "2022-06-01"} for uid in PMC}
    path.write_text(json.dumps({"committees": {"kvrocks": {"roster": members, "pmc": True}}}))


def best(argv: list[str], runs: int, cwd: Path) -> tuple[float, str]:
    times, output = [], ""
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - began)
        output = done.stdout
        if done.returncode not in (0, 1):
            raise SystemExit(f"{display(argv)} failed ({done.returncode}):\n{done.stderr}")
    return min(times), output


def main() -> None:
    compile_sources()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="asfr-tally-bench-"))
    try:
        mbox, info = work / "dev.mbox", work / "committee-info.json"
        generate(mbox, args.messages)
        roster(info)
        size = mbox.stat().st_size
        print(f"mbox: {args.messages} messages, {size / 1e6:.1f} MB, one [VOTE] thread of 41 messages")

        tally_argv = [
            sys.executable, "-m", "asf_release", "tally", "2.11.0", "--rc", "1",
            "--thread", str(mbox), "--roster", str(info), "--json",
        ]  # fmt: skip
        tally_time, tally_out = best(tally_argv, args.runs, work)
        report = json.loads(tally_out)
        assert report["verdict"] == "passed" and report["binding"]["+1"] == len(PMC) - 1, report
        grep_time, grep_out = best(["grep", "-c", "^From ", str(mbox)], args.runs, work)
        parse = "import mailbox,sys; print(sum(1 for m in mailbox.mbox(sys.argv[1]) if m.get_payload() is not None))"
        mailbox_time, _ = best([sys.executable, "-c", parse, str(mbox)], args.runs, work)
        startup_time, _ = best([sys.executable, "-m", "asf_release", "--version"], args.runs, work)

        print(f"{'command':54} {'seconds':>8}")
        print(f"{'asf-release tally (verdict ' + report['verdict'] + ')':54} {tally_time:8.3f}")
        print(f"{'  of which Python and CLI start-up (asf-release --version)':54} {startup_time:8.3f}")
        print(f"{'grep -c ^From  (' + grep_out.strip() + ' messages)':54} {grep_time:8.3f}")
        print(f"{'python mailbox module, parse every message':54} {mailbox_time:8.3f}")
        print(f"ratio tally / grep:    {tally_time / grep_time:6.1f}x")
        print(f"ratio tally / mailbox: {tally_time / mailbox_time:6.2f}x")
        verdict = "within" if tally_time <= TARGET_SECONDS else "OVER"
        print(f"target: tally <= {TARGET_SECONDS:.1f} s: {verdict} ({tally_time:.2f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
