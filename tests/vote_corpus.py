"""A corpus of realistic vote threads, each with the tally a careful person would make by hand.

Every case is one of the pitfalls a release manager meets: quoting styles, HTML-only mail, a
changed vote, a false "(binding)", a PMC member saying "non-binding", votes only in quotes, the
release manager's own vote, two addresses of one person, mail after the RESULT or after the 72
hours, template checkboxes, signatures with phone numbers, lost threading headers, other threads
in the same mailbox; and the hostile ones: a [RESULT] from someone off the PMC, a second [VOTE]
from a stranger, a subject without the RC number (the seed's own template), rc1 and rc2 threads
under one subject.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.vote_fixtures import (
    ALICE,
    BRUNO,
    BRUNO_GMAIL,
    CHEN,
    DANA,
    ERIK,
    FRANK,
    GRACE,
    JB,
    LIU,
    RESULT_SUBJECT,
    RM,
    START,
    SUBJECT,
    VOTE_BODY,
    Mail,
    Thread,
    reply,
    vote_body,
    vote_mail,
)

ZERO = {"+1": 0, "0": 0, "-1": 0}


def counts(plus: int = 0, zero: int = 0, minus: int = 0) -> dict[str, int]:
    return {"+1": plus, "0": zero, "-1": minus}


@dataclass
class Case:
    name: str
    thread: Thread
    hours: float  # "now", in hours after the VOTE was sent
    verdict: str
    binding: dict[str, int]
    non_binding: dict[str, int] = field(default_factory=lambda: dict(ZERO))
    voters: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (vote, binding)
    expect_notes: list[str] = field(default_factory=list)  # found in notes, voters' notes or skipped
    # notes about messages outside the VOTE's thread tree (a PonyMail thread does not hold them)
    outside_notes: list[str] = field(default_factory=list)
    roster: str = "json"  # "json": committee-info.json; "toml": TOML roster with extra addresses
    rule: str = "kvrocks"
    rc: int | None = 1
    vote_subject: str | None = None  # the profile's mail.vote_subject, when not the built-in one
    root: Mail | None = None  # the VOTE being counted, when it is not the thread's first message

    @property
    def vote(self) -> Mail:
        return self.root or self.thread.mails[0]


def _checked(name: str) -> str:
    return f"+1 (binding)\n\nChecked signatures, checksums, LICENSE/NOTICE and built from source.\n\n{name}\n"


def clean_pass() -> Case:
    vote = vote_mail()
    return Case(
        "a clean pass: three PMC members and a contributor",
        Thread().add(
            vote,
            reply(vote, BRUNO, _checked("Bruno") + "{quote}", 3),
            reply(vote, DANA, "+1 (non-binding)\n\nBuilt and ran the tests on Fedora 41.\n{quote}", 20),
            reply(
                vote,
                CHEN,
                "+1\n\n- verified the signature and the sha512\n- no binaries in the tarball\n{quote}",
                10,
            ),
            reply(vote, GRACE, "+1 (binding)\n", 30),
        ),
        80,
        "passed",
        counts(3),
        counts(1),
        {
            "Bruno Costa": ("+1", True),
            "Chen Wei": ("+1", True),
            "Grace Hopkins": ("+1", True),
            "Dana Okafor": ("+1", False),
        },
    )


def top_posting() -> Case:
    """Gmail top-posting: each reply quotes the VOTE, checkboxes and earlier votes included."""
    vote = vote_mail()
    bruno = reply(vote, BRUNO, "+1 (binding)\n\nLooks good.\n{quote}", 2)
    chen = reply(bruno, CHEN, "+1 binding\n\nSame checks as Bruno, all fine.\n{quote}", 6)
    erik = reply(
        chen, ERIK, "Thanks for driving this! Still building on macOS, I will report back.\n{quote}", 8
    )
    alice = reply(erik, ALICE, "+1 (binding), macOS 15 build is fine here.\n{quote}", 26)
    return Case(
        "top-posting with every earlier vote quoted below",
        Thread().add(vote, bruno, chen, erik, alice),
        75,
        "passed",
        counts(3),
        voters={"Bruno Costa": ("+1", True), "Chen Wei": ("+1", True), "Alice Zhang": ("+1", True)},
        expect_notes=["a vote appears only in quoted text"],
    )


def bottom_posting() -> Case:
    """Interleaved answers under quoted checklist lines, the vote at the bottom."""
    vote = vote_mail()
    body = (
        "On Mon, Mar 3, 2025 at 9:30 AM Riley Morgan <rm@apache.org> wrote:\n"
        "> [ ] Download links are valid.\n"
        "OK\n"
        "> [ ] Checksums and signatures.\n"
        "OK, signed by 0123 4567 89AB CDEF\n"
        "> [ ] -1 disapprove with the reason\n"
        "> [ ] Can compile from source\n"
        "Yes: Ubuntu 22.04 with gcc 11, and macOS 14 with clang.\n"
        "\n"
        "+1 (binding)\n"
        "\n"
        "Alice\n"
    )
    return Case(
        "bottom-posting with answers between quoted checklist lines",
        Thread().add(
            vote,
            reply(vote, ALICE, body, 4),
            reply(vote, BRUNO, "+1\n", 5),
            reply(vote, GRACE, "+1 (binding)\n", 9),
        ),
        73,
        "passed",
        counts(3),
        voters={"Alice Zhang": ("+1", True)},
    )


def outlook_original() -> Case:
    """Outlook puts the whole original under a From:/Sent: block, without '>' quotes."""
    vote = vote_mail()
    return Case(
        "Outlook reply with the unquoted original (its -1 template line) below",
        Thread().add(
            vote,
            reply(
                vote,
                FRANK,
                "+1 (non-binding)\n\nVerified on WSL2.\n\nRegards,\nFrank\n{quote}",
                12,
                client="outlook",
            ),
            reply(vote, JB, "+1 (binding)\n\nRegards\nJB\n{quote}", 14, client="outlook"),
            reply(vote, BRUNO, "+1\n", 15),
            reply(vote, CHEN, "+1\n", 16),
        ),
        73,
        "passed",
        counts(3),
        counts(1),
        {"Frank Miller": ("+1", False), "Jean-Baptiste Onofré": ("+1", True)},
    )


GMAIL_HTML = """<div dir="ltr">{own}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">
On Mon, Mar 3, 2025 at 9:30 AM Riley Morgan &lt;<a href="mailto:rm@apache.org">rm@apache.org</a>&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">
<div>[ ] +1 approve<br>[ ] +0 no opinion<br>[ ] -1 disapprove with the reason<br></div>
<blockquote>+1 (binding)</blockquote></blockquote></div>"""


def html_only() -> Case:
    vote = vote_mail()
    grace = reply(
        vote,
        GRACE,
        "",
        7,
        html=GMAIL_HTML.format(
            own="+1 (binding)<div><br></div><div>Verified signatures, built from source.</div>"
        ),
        html_only=True,
    )
    erik = reply(vote, ERIK, "", 8, html=GMAIL_HTML.format(own="Looks good to me so far."), html_only=True)
    chen = reply(
        vote,
        CHEN,
        "+1\n\nchecked everything\n",
        9,
        html='<div dir="ltr">+1<div>checked everything</div></div>',
    )
    return Case(
        "HTML-only mail (base64), a quoted vote inside a blockquote, and text+HTML alternatives",
        Thread().add(vote, grace, erik, chen, reply(vote, BRUNO, "+1 (binding)\n", 10)),
        73,
        "passed",
        counts(3),
        voters={"Grace Hopkins": ("+1", True), "Chen Wei": ("+1", True)},
        expect_notes=["a vote appears only in quoted text"],
    )


def changed_vote() -> Case:
    vote = vote_mail()
    first = reply(vote, CHEN, "-1 (binding)\n\nThe NOTICE file still says 2024.\n{quote}", 5)
    second = reply(
        first,
        CHEN,
        "I was wrong: the tarball's NOTICE is right, I looked at an old checkout.\n\n+1 (binding)\n{quote}",
        20,
    )
    return Case(
        "a vote changed from -1 to +1: the last one counts",
        Thread().add(vote, first, reply(vote, BRUNO, "+1\n", 6), reply(vote, ALICE, "+1\n", 7), second),
        80,
        "passed",
        counts(3),
        voters={"Chen Wei": ("+1", True)},
        expect_notes=["Chen Wei changed their vote: -1 → +1"],
    )


def false_binding_claim() -> Case:
    vote = vote_mail()
    return Case(
        "'+1 (binding)' from someone off the PMC counts as non-binding",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 3),
            reply(vote, DANA, "+1 (binding)\n\nTested the cluster mode.\n", 4),
            reply(vote, ALICE, "+1 (binding)\n", 30),
        ),
        80,
        "open",
        counts(2),
        counts(1),
        {"Dana Okafor": ("+1", False)},
        ["claims 'binding' but is not on the PMC roster", "1 more binding +1"],
    )


def pmc_says_non_binding() -> Case:
    vote = vote_mail()
    jb = reply(
        vote,
        JB,
        "+1 (non-binding)\n\nJ'ai vérifié les signatures.\n\nJean-Baptiste\n",
        11,
        charset="iso-8859-1",
    )
    return Case(
        "a PMC member writing 'non-binding' (in a Latin-1 mail) still counts as binding",
        Thread().add(vote, jb, reply(vote, BRUNO, "+1\n", 12), reply(vote, GRACE, "+1\n", 13)),
        80,
        "passed",
        counts(3),
        voters={"Jean-Baptiste Onofré": ("+1", True)},
        expect_notes=["wrote 'non-binding' but is on the PMC roster"],
    )


def quoted_only() -> Case:
    vote = vote_mail()
    bruno = reply(vote, BRUNO, "+1 (binding)\n", 3)
    alice = reply(bruno, ALICE, "Agreed, thanks Bruno!\n{quote}", 5)
    return Case(
        "a PMC member's reply holding a vote only in the quoted text",
        Thread().add(vote, bruno, alice, reply(vote, GRACE, "+1\n", 6)),
        80,
        "open",
        counts(2),
        voters={"Bruno Costa": ("+1", True), "Grace Hopkins": ("+1", True)},
        expect_notes=["a vote appears only in quoted text", "1 more binding +1"],
    )


def release_manager_votes() -> Case:
    """The VOTE itself talks about '+1 binding votes'; the RM's own vote is a reply."""
    vote = vote_mail()
    return Case(
        "the release manager's own vote, in a reply (the VOTE message itself never counts)",
        Thread().add(
            vote,
            reply(vote, RM, "+1 (binding) from me, as the release manager.\n", 0.5),
            reply(vote, BRUNO, "+1\n", 3),
            reply(vote, ERIK, "+1\n", 4),
        ),
        80,
        "open",
        counts(2),
        counts(1),
        {"Riley Morgan": ("+1", True)},
        ["1 more binding +1"],
    )


def two_addresses() -> Case:
    vote = vote_mail()
    first = reply(vote, BRUNO_GMAIL, "-1\n\nThe tarball contains a .DS_Store file.\n{quote}", 4)
    second = reply(
        first, BRUNO, "My mistake, that file came from my own build directory.\n\n+1 (binding)\n{quote}", 26
    )
    return Case(
        "two addresses of one person (TOML roster): one vote, the last",
        Thread().add(vote, first, reply(vote, CHEN, "+1\n", 8), reply(vote, GRACE, "+1\n", 9), second),
        80,
        "passed",
        counts(3),
        voters={"Bruno Costa": ("+1", True)},
        expect_notes=["Bruno Costa changed their vote: -1 → +1"],
        roster="toml",
    )


def after_result() -> Case:
    vote = vote_mail()
    result = reply(vote, RM, "The vote passed with 3 binding +1.\n", 75)
    result.subject = RESULT_SUBJECT
    thanks = reply(result, ALICE, "+1, thanks Riley!\n", 76)
    late = reply(vote, ERIK, "+1, sorry I'm late\n", 80)
    return Case(
        "a message after the RESULT does not count",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, CHEN, "+1\n", 3),
            reply(vote, GRACE, "+1\n", 4),
            result,
            thanks,
            late,
        ),
        90,
        "passed",
        counts(3),
        voters={"Bruno Costa": ("+1", True)},
        expect_notes=["arrived after the [RESULT]", "closed by the [RESULT]"],
    )


def late_vote_before_result() -> Case:
    vote = vote_mail()
    result = reply(vote, RM, "Closing the vote.\n", 96)
    result.subject = RESULT_SUBJECT
    return Case(
        "a vote arriving after 72 hours but before the RESULT counts",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, CHEN, "+1\n", 50),
            reply(vote, GRACE, "+1 (binding), sorry for the delay\n", 90),
            result,
        ),
        100,
        "passed",
        counts(3),
        voters={"Grace Hopkins": ("+1", True)},
    )


def checkboxes() -> Case:
    vote = vote_mail()
    grace = (
        "[X] +1 approve\n[ ] +0 no opinion\n[ ] -1 disapprove with the reason\n\n"
        "[x] Download links are valid.\n[x] Checksums and signatures.\n[x] LICENSE/NOTICE files exist\n"
    )
    erik = "+1 approve\n+0 no opinion\n-1 disapprove with the reason\n\nI have not finished yet.\n"
    return Case(
        "the template's checkboxes: one marked counts, unmarked copies do not",
        Thread().add(
            vote,
            reply(vote, GRACE, grace, 5),
            reply(vote, ERIK, erik, 6),
            reply(vote, BRUNO, "+1\n", 7),
            reply(vote, CHEN, "+1\n", 8),
        ),
        80,
        "passed",
        counts(3),
        voters={"Grace Hopkins": ("+1", True)},
        expect_notes=["the vote options were copied without one being marked"],
    )


def veto(rule: str) -> Case:
    vote = vote_mail()
    return Case(
        f"a binding -1 under the '{rule}' rule",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, CHEN, "+1\n", 3),
            reply(vote, GRACE, "+1\n", 4),
            reply(vote, JB, "-1 (binding)\n\nThe source tarball ships a prebuilt libfoo.a.\n", 5),
        ),
        80,
        "failed" if rule == "kvrocks" else "passed",
        counts(3, 0, 1),
        voters={"Jean-Baptiste Onofré": ("-1", True)},
        expect_notes=["binding -1 from Jean-Baptiste Onofré"] if rule == "kvrocks" else [],
        rule=rule,
    )


def still_open() -> Case:
    vote = vote_mail()
    return Case(
        "still open: 30 hours in, two binding +1",
        Thread().add(vote, reply(vote, BRUNO, "+1\n", 2), reply(vote, CHEN, "+1\n", 3)),
        30,
        "open",
        counts(2),
        expect_notes=["42 h 00 min short of the 72-hour minimum", "1 more binding +1"],
    )


def fractional() -> Case:
    vote = vote_mail()
    return Case(
        "fractional votes and zeros count by their sign",
        Thread().add(
            vote,
            reply(vote, CHEN, "+0.5 (binding): fine with me, but I could not run the tests.\n", 2),
            reply(vote, ALICE, "-0 (binding)\n\nNot a blocker, but the README links are stale.\n", 3),
            reply(vote, BRUNO, "+1\n", 4),
            reply(vote, GRACE, "+1\n", 5),
            reply(vote, RM, "+1\n", 6),
            reply(vote, DANA, "0\n", 7),
        ),
        80,
        "passed",
        counts(4, 1, 0),
        counts(0, 1, 0),
        {"Chen Wei": ("+1", True), "Alice Zhang": ("0", True), "Dana Okafor": ("0", False)},
        ["fractional vote +0.5: counted by its sign as +1"],
    )


def signatures() -> Case:
    vote = vote_mail()
    erik = (
        "Verified the checksums, looks fine to me.\n\n-- \nErik Lund\nSenior Engineer, Example Corp\n"
        "+1 (415) 555-0142\n"
    )
    return Case(
        "a phone number in a signature is not a vote",
        Thread().add(
            vote,
            reply(vote, ERIK, erik, 3),
            reply(vote, BRUNO, "+1\n--\nBruno\n", 4),
            reply(vote, CHEN, "+1\n", 5),
            reply(vote, GRACE, "+1\n", 6),
        ),
        80,
        "passed",
        counts(3),
        voters={"Bruno Costa": ("+1", True)},
        expect_notes=["no vote in this message"],
    )


def lost_threading() -> Case:
    vote = vote_mail()
    liu = reply(
        vote,
        LIU,
        "+1 (binding)\n\n已验证签名与校验和。\n\n在 2025年3月3日 17:30，Riley Morgan <rm@apache.org> 写道：\n> [ ] -1 disapprove\n",
        8,
        threaded=False,
    )
    liu.subject = "回复: [VOTE] Release Apache Kvrocks 2.11.0-rc1"
    return Case(
        "a reply that lost its threading headers (quoted-printable UTF-8, Chinese client) joins by subject",
        Thread().add(vote, liu, reply(vote, BRUNO, "+1\n", 9), reply(vote, CHEN, "+1\n", 10)),
        80,
        "passed",
        counts(3),
        voters={"刘欣": ("+1", True)},
        expect_notes=["replied without threading headers: joined by the subject"],
    )


def busy_mailbox() -> Case:
    """A month of the list: other threads with +1s of their own must not leak in."""
    discuss = Mail(
        RM,
        "I would like to release 2.11.0.\n",
        START.replace(day=1),
        subject="[DISCUSS] Release Apache Kvrocks 2.11.0",
    )
    other = Mail(
        ALICE,
        "Please vote.\n",
        START.replace(day=2),
        subject="[VOTE] Release Apache Kvrocks Controller 1.0.0-rc1",
    )
    vote = vote_mail()
    return Case(
        "a busy month of the list: only this vote's thread counts",
        Thread().add(
            discuss,
            reply(discuss, BRUNO, "+1 for releasing\n", -40),
            reply(discuss, DANA, "+1\n", -30),
            other,
            reply(other, CHEN, "+1 (binding)\n", -10),
            reply(other, GRACE, "-1 (binding)\n", -9),
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, GRACE, "+1\n", 4),
            reply(vote, ALICE, "+1\n", 5),
        ),
        80,
        "passed",
        counts(3),
        voters={"Grace Hopkins": ("+1", True), "Alice Zhang": ("+1", True)},
        root=vote,
    )


def second_candidate() -> Case:
    """rc1 was voted down; rc2 is a new thread. Without --rc, the newest candidate is tallied."""
    rc1 = vote_mail()
    rc2 = Mail(
        RM,
        "Please vote on rc2.\n",
        START.replace(day=10),
        subject="[VOTE] Release Apache Kvrocks 2.11.0-rc2",
        client="apple",
    )
    later = (rc2.at - START).total_seconds() / 3600
    return Case(
        "rc1 voted down, rc2 open in the same mailbox: the newest candidate is counted",
        Thread().add(
            rc1,
            reply(rc1, CHEN, "-1 (binding)\n\nLicense header missing in src/foo.cc\n", 2),
            rc2,
            reply(rc2, BRUNO, "+1\n", later + 1),
            reply(rc2, CHEN, "+1\n", later + 2),
            reply(rc2, GRACE, "+1\n", later + 3),
        ),
        later + 80,
        "passed",
        counts(3),
        voters={"Chen Wei": ("+1", True)},
        rc=None,
        root=rc2,
    )


# --- hostile threads ----------------------------------------------------------------------------


def non_pmc_result() -> Case:
    """Anyone can write '[RESULT][VOTE]': one from a contributor an hour in closes nothing."""
    vote = vote_mail()
    fake = reply(vote, DANA, "The vote has passed, thanks all!\n", 1)
    fake.subject = RESULT_SUBJECT
    return Case(
        "a [RESULT] from someone off the PMC an hour in does not close the vote",
        Thread().add(
            vote,
            fake,
            reply(vote, BRUNO, "+1\n", 5),
            reply(vote, CHEN, "+1\n", 6),
            reply(vote, GRACE, "+1\n", 30),
        ),
        80,
        "passed",
        counts(3),
        voters={"Grace Hopkins": ("+1", True)},
        expect_notes=["[RESULT] from Dana Okafor <dana@example.org>", "ignored"],
    )


def stranger_vote_root() -> Case:
    """A second [VOTE] root with the same subject, from someone else, later: the first one stays."""
    vote = vote_mail()
    hijack = Mail(ERIK, "Please vote here instead.\n", START.replace(hour=15), subject=SUBJECT)
    return Case(
        "a second [VOTE] from a stranger never replaces the release manager's",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, CHEN, "+1\n", 3),
            reply(vote, GRACE, "+1\n", 4),
            reply(vote, JB, "-1 (binding)\n\nThe NOTICE year is wrong.\n", 5),
            hijack,
            reply(hijack, FRANK, "+1\n", 7),
            reply(hijack, DANA, "+1\n", 8),
        ),
        80,
        "failed",
        counts(3, 0, 1),
        voters={"Jean-Baptiste Onofré": ("-1", True)},
        outside_notes=["from Erik Lund <erik.lund@example.com>", "not counted"],
    )


SEED_SUBJECT = "[VOTE] Release Apache Kvrocks 2.11.0"


def seed_template_subject() -> Case:
    """The seed's own template: no RC number in the subject; the body names the tag v2.11.0-rc1."""
    vote = Mail(RM, VOTE_BODY, START, subject=SEED_SUBJECT, client="apple")
    return Case(
        "the seed's VOTE subject without an RC number: the RC is read from the body",
        Thread().add(
            vote,
            reply(vote, BRUNO, "+1\n", 2),
            reply(vote, CHEN, "+1 (binding)\n{quote}", 3),
            reply(vote, GRACE, "+1\n", 4),
        ),
        80,
        "passed",
        counts(3),
        voters={"Chen Wei": ("+1", True)},
    )


def _two_candidates_one_subject() -> tuple[Thread, Mail, Mail, float]:
    """rc1 (a binding -1) and rc2 (three +1) under one subject, as with vote_subject without {rc}."""
    rc1 = Mail(RM, VOTE_BODY, START, subject=SEED_SUBJECT, client="apple")
    rc2 = Mail(RM, vote_body(2), START.replace(day=10), subject=SEED_SUBJECT, client="apple")
    later = (rc2.at - START).total_seconds() / 3600
    thread = Thread().add(
        rc1,
        reply(rc1, CHEN, "-1 (binding)\n\nLicense header missing in src/foo.cc\n", 2),
        reply(rc1, BRUNO, "+1\n", 3),
        rc2,
        reply(rc2, BRUNO, "+1\n", later + 1),
        reply(rc2, ALICE, "+1\n", later + 2),
        reply(rc2, GRACE, "+1\n", later + 3),
    )
    return thread, rc1, rc2, later


def rc1_under_a_subject_without_rc() -> Case:
    thread, rc1, _, _ = _two_candidates_one_subject()
    return Case(
        "rc1 and rc2 under one subject without {rc}: rc1 keeps its binding -1",
        thread,
        80,
        "failed",
        counts(1, 0, 1),
        voters={"Chen Wei": ("-1", True)},
        expect_notes=["binding -1 from Chen Wei"],
        vote_subject="[VOTE] Release Apache Kvrocks {version}",
        root=rc1,
    )


def rc2_under_a_subject_without_rc() -> Case:
    thread, _, rc2, later = _two_candidates_one_subject()
    return Case(
        "rc1 and rc2 under one subject without {rc}: rc2 counts its own votes only",
        thread,
        later + 80,
        "passed",
        counts(3),
        voters={"Alice Zhang": ("+1", True)},
        rc=2,
        vote_subject="[VOTE] Release Apache Kvrocks {version}",
        root=rc2,
    )


def cases() -> list[Case]:
    return [
        clean_pass(),
        top_posting(),
        bottom_posting(),
        outlook_original(),
        html_only(),
        changed_vote(),
        false_binding_claim(),
        pmc_says_non_binding(),
        quoted_only(),
        release_manager_votes(),
        two_addresses(),
        after_result(),
        late_vote_before_result(),
        checkboxes(),
        veto("kvrocks"),
        veto("asf"),
        still_open(),
        fractional(),
        signatures(),
        lost_threading(),
        busy_mailbox(),
        second_candidate(),
        non_pmc_result(),
        stranger_vote_root(),
        seed_template_subject(),
        rc1_under_a_subject_without_rc(),
        rc2_under_a_subject_without_rc(),
    ]
