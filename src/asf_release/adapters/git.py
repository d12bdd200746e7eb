"""Git: the real git command, returning plain data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from asf_release.adapters import proc
from asf_release.adapters.gitarchive import SourceFormat, archive_argv
from asf_release.errors import ToolFailed

_FIELD = "\x1f"
_RECORD = "\x1e"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    author: str
    email: str
    timestamp: int
    body: str = ""


@dataclass(frozen=True)
class Node:
    """A commit in the history's graph: its parents and its whole message."""

    sha: str
    parents: tuple[str, ...]
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()


@dataclass(frozen=True)
class Change:
    """What a commit changes, as far as comparing two commits needs: paths and added lines."""

    files: frozenset[str]
    added: frozenset[str]


@dataclass(frozen=True)
class Snapshot:
    """The working tree in one look: branch (None when detached), HEAD, tracked files changed."""

    branch: str | None
    head: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class CherryPick:
    """What one `git cherry-pick -x` did: the new commit, or why there is none."""

    sha: str
    new_sha: str | None
    conflicts: list[str] = field(default_factory=list)
    empty: bool = False  # the change is already in the branch, in another form
    message: str = ""


class Git:
    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = dict(env or {})

    def run(
        self,
        *args: str,
        check: bool = True,
        input: str | None = None,
        timeout: float | None = proc.DEFAULT_TIMEOUT,
        hint: str | None = None,
    ) -> proc.Completed:
        return proc.run(
            ["git", *args],
            cwd=self.root,
            env=self.env,
            input=input,
            check=check,
            timeout=timeout,
            hint=hint,
        )

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    @staticmethod
    def toplevel(path: Path) -> Path | None:
        done = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=path, check=False)
        return Path(done.stdout.strip()) if done.returncode == 0 else None

    # --- refs -------------------------------------------------------------------------------
    def rev(self, ref: str) -> str | None:
        """The commit a ref points to (tags peeled), or None if there is no such ref."""
        done = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def head(self) -> str:
        return self.out("rev-parse", "HEAD")

    def current_branch(self) -> str | None:
        done = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def tags(self, pattern: str | None = None) -> list[str]:
        args = ["tag", "--list"] + ([pattern] if pattern else [])
        return [line for line in self.out(*args).splitlines() if line]

    def tag_commit(self, tag: str) -> str | None:
        return self.rev(f"refs/tags/{tag}")

    def branch_commit(self, branch: str) -> str | None:
        return self.rev(f"refs/heads/{branch}")

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return done.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        done = self.run("merge-base", a, b, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def tag_commits(self) -> dict[str, str]:
        """Every tag with the commit it points to (annotated tags peeled), in one call."""
        out = self.out(
            "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags"
        )
        tags = {}
        for line in out.splitlines():
            name, target, *peeled = line.split(" ")
            tags[name] = peeled[0] if peeled and peeled[0] else target
        return tags

    # --- working tree -----------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        out = self.run("status", "--porcelain=v2", "--branch", "--untracked-files=no", "-z").stdout
        branch: str | None = None
        head = ""
        changed = []
        for record in out.split("\0"):
            if record.startswith("# branch.oid "):
                head = record.removeprefix("# branch.oid ")
            elif record.startswith("# branch.head "):
                name = record.removeprefix("# branch.head ")
                branch = None if name == "(detached)" else name
            elif record[:2] in ("1 ", "u "):
                changed.append(record.split(" ", 8)[8] if record[0] == "1" else record.split(" ", 10)[10])
            elif record.startswith("2 "):
                changed.append(record.split(" ", 9)[9])
        return Snapshot(branch, head, tuple(changed))

    def changed_files(self) -> list[str]:
        """Tracked files with changes, staged or not (untracked files are not counted)."""
        # not self.out(): stripping would eat the status column's leading space
        out = self.run("status", "--porcelain=v1", "--untracked-files=no").stdout
        return [line[3:] for line in out.splitlines() if line]

    def commit_all(self, message: str) -> str:
        self.run("commit", "--all", "--quiet", "--message", message)
        return self.head()

    def tag_annotated(
        self, tag: str, message: str, *, sign: bool = False, key: str = "", target: str = ""
    ) -> None:
        """An annotated tag on target (default HEAD); signed with key, or gpg's default, when sign."""
        args = ["tag", "--annotate", tag, "--message", message]
        if sign:
            args[1:2] = ["--sign"] if not key else ["--local-user", key]
        self.run(*args, *([target] if target else []))

    def checkout(self, ref: str) -> None:
        self.run("checkout", "--quiet", ref)

    def create_branch(self, name: str, start: str) -> None:
        """Create branch name at start, without checking it out or tracking anything."""
        self.run("branch", "--no-track", name, start)

    def set_upstream(self, branch: str, remote: str) -> None:
        self.run("branch", f"--set-upstream-to={remote}/{branch}", branch)

    def operation_in_progress(self) -> str | None:
        """The half-done operation (cherry-pick, revert, merge, rebase) in the checkout, if any."""
        for name, ref in (
            ("cherry-pick", "CHERRY_PICK_HEAD"),
            ("revert", "REVERT_HEAD"),
            ("merge", "MERGE_HEAD"),
        ):
            if self.run("rev-parse", "--verify", "--quiet", ref, check=False).returncode == 0:
                return name
        for folder in ("rebase-merge", "rebase-apply"):
            if Path(self.root, self.out("rev-parse", "--git-path", folder)).exists():
                return "rebase"
        return None

    def unmerged_files(self) -> list[str]:
        out = self.out("diff", "--name-only", "--diff-filter=U")
        return [line for line in out.splitlines() if line]

    def cherry_pick(self, sha: str) -> CherryPick:
        """`git cherry-pick -x SHA`. On failure the pick is aborted: HEAD and the tree are as before."""
        done = self.run("cherry-pick", "-x", sha, check=False)
        if done.returncode == 0:
            return CherryPick(sha, self.head())
        conflicts = self.unmerged_files()
        empty = not conflicts and "now empty" in done.stderr + done.stdout
        if self.rev("CHERRY_PICK_HEAD"):  # git may also refuse before starting (a file in the way)
            self.run("cherry-pick", "--abort")
        return CherryPick(sha, None, conflicts, empty, (done.stderr or done.stdout).strip())

    # --- history ----------------------------------------------------------------------------
    def log(self, revision_range: str, *extra: str) -> list[Commit]:
        # NUL between fields and records: the one byte no commit message can hold
        fmt = "%x00".join(["%H", "%s", "%an", "%ae", "%at", "%b"])
        out = self.run("log", "-z", f"--format={fmt}", *extra, revision_range, "--").stdout
        commits = []
        for sha, subject, author, email, at, body in _records(out, 6):
            commits.append(Commit(sha, subject, author, email, int(at or 0), body.strip()))
        return commits

    def graph(self, revision_range: str) -> list[Node]:
        """Every commit of a range, merges included, with its parents and full message."""
        out = self.run("log", "-z", "--format=%H%x00%P%x00%B", revision_range, "--").stdout
        return [Node(sha, tuple(parents.split()), message) for sha, parents, message in _records(out, 3)]

    def changes(self, shas: Sequence[str], max_lines: int = 5000) -> dict[str, Change]:
        """The files each commit changes and the lines it adds (stripped, blank ones left out; at
        most max_lines per commit). Meant for a handful of commits: it reads their whole patches."""
        wanted = set(shas)
        if not wanted:
            return {}
        listing = "\n".join(wanted) + "\n"
        names = self._no_walk(listing, "-z", "--name-only", "--format=%x00%H")
        files: dict[str, set[str]] = {}
        current: set[str] = set()
        for token in names.split("\0"):
            token = token.strip("\n")
            if token in wanted and token not in files:
                current = files.setdefault(token, set())
            elif token:
                current.add(token)
        patch = self._no_walk(listing, "--no-color", "--no-ext-diff", "-p", "-U0", "--format=%x00%H")
        added: dict[str, set[str]] = {}
        lines: set[str] = set()
        in_header = True
        for line in patch.splitlines():
            if line.startswith("\0"):
                lines = added.setdefault(line[1:].strip(), set())
                in_header = True
            elif line.startswith("diff --git "):
                in_header = True
            elif line.startswith("@@"):
                in_header = False
            elif not in_header and line.startswith("+") and len(lines) < max_lines:
                text = line[1:].strip()
                if text:
                    lines.add(text)
        return {sha: Change(frozenset(files.get(sha, ())), frozenset(added.get(sha, ()))) for sha in shas}

    def _no_walk(self, shas: str, *options: str) -> str:
        """`git log` of exactly the commits listed (one sha a line), given on standard input."""
        return self.run("log", "--no-walk=unsorted", "--stdin", *options, input=shas).stdout

    def patch_ids(self, shas: Sequence[str]) -> dict[str, str]:
        """sha -> `git patch-id --stable` of each commit (merges and empty commits have none)."""
        if not shas:
            return {}
        patches = self._no_walk(
            "\n".join(shas) + "\n", "--no-color", "--no-ext-diff", "-p", "--format=commit %H"
        )
        out = self.run("patch-id", "--stable", input=patches).stdout
        found = {}
        for line in out.splitlines():
            patch_id, _, sha = line.partition(" ")
            if sha:
                found[sha.strip()] = patch_id
        return found

    def cherry_marks(self, left: str, right: str) -> tuple[dict[str, bool], dict[str, bool]]:
        """The commits of left...right (merges left out), per side: sha -> True when the other side
        has no commit with the same patch id (`git cherry`, both ways, in one patch-id pass)."""
        marked = self.out("rev-list", "--cherry-mark", "--no-merges", f"{left}...{right}").split()
        right_only = set(self.out("rev-list", "--right-only", "--no-merges", f"{left}...{right}").split())
        sides: tuple[dict[str, bool], dict[str, bool]] = ({}, {})
        for line in marked:
            sha = line[1:]
            sides[1 if sha in right_only else 0][sha] = line[0] != "="
        return sides

    def cherry(self, upstream: str, head: str) -> list[tuple[bool, str]]:
        """Commits of head not in upstream: (True, sha) when upstream lacks an equivalent patch."""
        out = self.out("cherry", upstream, head)
        return [(line[0] == "+", line[2:]) for line in out.splitlines() if line]

    # --- content ----------------------------------------------------------------------------
    def show(self, ref: str, path: str) -> bytes | None:
        done = proc.run(["git", "cat-file", "blob", f"{ref}:{path}"], cwd=self.root, check=False)
        return done.data if done.returncode == 0 else None

    @contextmanager
    def archive(self, ref: str, prefix: str, fmt: SourceFormat | str = "tar.gz") -> Iterator[IO[bytes]]:
        """The bytes of `git archive --format=FMT --prefix=PREFIX REF`, streamed (for bzip2 and xz,
        git's tar through the format's fixed compressor: see adapters/gitarchive)."""
        with proc.stream(
            archive_argv(ref, prefix, fmt),
            cwd=self.root,
            env=self.env,
            timeout=None,
        ) as out:
            yield out

    def ls_tree(self, ref: str) -> list[tuple[str, str, str]]:
        """(mode, blob sha, path) of every file in ref's tree."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", ref).stdout
        entries = []
        for item in out.split("\0"):
            if not item:
                continue
            meta, path = item.split("\t", 1)
            mode, _kind, sha = meta.split()
            entries.append((mode, sha, path))
        return entries

    # --- remotes ----------------------------------------------------------------------------
    def remote_url(self, remote: str) -> str | None:
        done = self.run("remote", "get-url", remote, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def remote_refs(self, remote: str, *patterns: str) -> dict[str, str]:
        """ref name -> commit (annotated tags peeled) as the remote has them now."""
        out = self.run("ls-remote", remote, *patterns, timeout=60).stdout
        refs: dict[str, str] = {}
        for line in out.splitlines():
            sha, ref = line.split("\t", 1)
            if ref.endswith("^{}"):
                refs[ref[:-3]] = sha  # the peeled commit wins over the tag object
            else:
                refs.setdefault(ref, sha)
        return refs

    def push(self, remote: str, refspecs: Sequence[str]) -> None:
        self.run("push", "--quiet", remote, *refspecs, timeout=300)

    def fetch(self, remote: str, *refspecs: str) -> None:
        self.run("fetch", "--quiet", remote, *refspecs, timeout=300)

    def config(self, key: str) -> str | None:
        done = self.run("config", "--get", key, check=False)
        return done.stdout.strip() if done.returncode == 0 else None


def _records(out: str, fields: int) -> Iterator[tuple[str, ...]]:
    """The records of `git log -z` with NUL-separated fields (each record has `fields` of them)."""
    tokens = out.split("\0")
    for start in range(0, len(tokens) - fields + 1, fields):
        record = tuple(tokens[start : start + fields])
        # a record's first field is its sha; git ends each record but the last with a newline
        first = record[0].strip("\n")
        if first:
            yield (first, *record[1:])


def is_repository(path: Path) -> bool:
    try:
        return Git.toplevel(path) is not None
    except ToolFailed:
        return False


def is_git_directory(path: Path) -> bool:
    """A checkout or a bare repository (a mirror): anything git can read refs and trees from."""
    try:
        done = proc.run(["git", "rev-parse", "--git-dir"], cwd=path, check=False)
    except ToolFailed:
        return False
    return done.returncode == 0
