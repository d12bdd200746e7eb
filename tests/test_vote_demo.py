"""The demo's vote stages in a real sandbox (svnserve, aiosmtpd), after seeding the package and
stage facts as those steps record them: VOTE by SMTP, four replies, tally, RESULT; run twice."""

from __future__ import annotations

import json

from asf_release import demo
from asf_release.context import Context
from asf_release.demo import DemoRun
from asf_release.demo import vote as demo_vote
from asf_release.sandbox.environment import Sandbox
from asf_release.steps.process import release_status
from tests.conftest import run_cli
from tests.vote_fixtures import seed_candidate


def _run_stages(run: DemoRun) -> dict[str, list[str]]:
    return {title: action(run) for title, _, action in demo_vote.stages(str(demo.DEMO_VERSION))}


def test_the_demo_calls_the_vote_counts_it_and_announces_the_result(sandbox: Sandbox) -> None:
    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    seed_candidate(ctx)
    ctx.close()
    run = DemoRun(sandbox)

    first = _run_stages(run)
    messages = sandbox.mail.messages()
    subjects = [str(m["Subject"]) for m in messages]
    assert subjects[0] == "[VOTE] Release Apache Kvrocks 2.11.0-rc1"
    assert subjects.count("Re: [VOTE] Release Apache Kvrocks 2.11.0-rc1") == 4
    assert subjects[-1] == "[RESULT][VOTE] Release Apache Kvrocks 2.11.0-rc1"
    assert len(messages) == 6

    counted = first["Count the votes"]
    assert any("clock jumps" in line and "73 hours after the VOTE" in line for line in counted)
    assert any(line.startswith("verdict: passed") for line in counted)
    assert "Dana Okafor <dana@apache.org>: +1 non-binding" in counted
    assert sum("binding" in line and "non-binding" not in line for line in counted if "<" in line) == 3

    # Bruno quoted the VOTE, checkbox lines included, and answered below; Chen top-posted
    bruno = next(m for m in messages if "bruno" in str(m["From"]))
    text = bruno.get_body(preferencelist=("plain",)).get_content()
    assert "> [ ] +1 approve the release" in text and text.rstrip().endswith("Bruno")
    chen = next(m for m in messages if "chenwei" in str(m["From"]))
    assert chen.get_body(preferencelist=("plain",)).get_content().startswith("+1")

    result = messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "has passed" in result and "3 binding +1" in result
    for name in ("Bruno Costa", "Chen Wei", "Grace Hopkins"):
        assert name in result.split("Non-binding votes:")[0]
    assert "Dana Okafor" in result.split("Non-binding votes:")[1]
    assert messages[-1]["In-Reply-To"] == messages[0]["Message-ID"]

    second = _run_stages(run)
    assert len(sandbox.mail.messages()) == 6, "a second run sends nothing"
    assert second["Call the vote"][0].startswith("already done: sent")
    assert second["Announce the result"][1].startswith("already done: [RESULT] sent")
    assert all("already in the thread" in line for line in second["The community votes"])

    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    states = {s.name: s.state.value for s in release_status(ctx, demo.DEMO_VERSION, 1).steps}
    ctx.close()
    assert states["vote"] == "done" and states["tally"] == "done" and states["result"] == "done"

    done = run_cli("tally", "2.11.0", "--rc", "1", "--json", cwd=sandbox.project_path, env=sandbox.env())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "passed" and report["binding"] == {"+1": 3, "0": 0, "-1": 0}
    assert report["closed_at"] is not None
