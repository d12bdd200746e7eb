"""license: LICENSE (or LICENSE.txt, LICENSE.md) at the root holds the full Apache License 2.0
(third-party sections may follow), and the files it points to (licenses/LICENSE-x.txt, listed
sources) exist.

The license is recognised the way projects write it: its words compared without case, punctuation,
Markdown emphasis or line breaks, its URLs in http or https, with or without the appendix, after
a short preamble if there is one. A placeholder (`licenses/LICENSE-[project].txt`, `<name>`,
`{x}`) is a pattern of names, not a file it points to.
"""

from __future__ import annotations

import fnmatch
import re
from functools import cache

from asf_release import data
from asf_release.checks.common import root_text
from asf_release.policy import recognize
from asf_release.verify.model import CheckResult, Finding, fail, warn
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan

ID = "license"
_END = "END OF TERMS AND CONDITIONS"
_APPENDIX_END = "limitations under the License."
# Relative paths in the text, not parts of URLs: licenses/LICENSE-x.txt, src/common/sha1.h
_PATH = re.compile(r"(?<![\w:/.@-])((?:[\w.-]+/)+[\w.*-]*[\w*])")
# a name holding a placeholder: [project], <name>, {x}, with what is glued to it
_PLACEHOLDER = re.compile(r"[\w./*-]*(?:\[[^\]\s]{1,40}\]|<[^>\s]{1,40}>|\{[^}\s]{1,40}\})[\w./*\[\]<>{}-]*")
_WORD = re.compile(r"[a-z0-9]+")
MAX_PREAMBLE = 400  # words allowed before the license starts


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("https://", "http://"))


@cache
def _terms() -> list[str]:
    text = data.apache_license()
    return _words(text[: text.index(_END) + len(_END)])


@cache
def _with_appendix() -> list[str]:
    text = data.apache_license()
    return _words(text[: text.index(_APPENDIX_END) + len(_APPENDIX_END)])


def check(rc: OpenedRC) -> CheckResult:
    found = root_text(rc, ID, "LICENSE", "license")
    if isinstance(found, CheckResult):
        return found
    name, license_text = found
    scan = rc.archive
    assert scan is not None  # root_text found the archive read
    findings: list[Finding] = []
    words = _words(license_text)
    terms = _terms()
    start = _start(words, terms)
    if start is None:
        findings.append(
            fail(name, _first_difference(words, terms), "start it with the Apache License 2.0, unchanged")
        )
        tail_from = len(terms)
    else:
        full = _with_appendix()
        tail_from = start + (len(full) if words[start : start + len(full)] == full else len(terms))
    findings += _missing_references(name, _tail(license_text, tail_from), scan)
    summary = f"{name} holds the Apache License 2.0" if start is not None else ""
    return CheckResult.of(ID, findings, summary)


def _start(words: list[str], terms: list[str]) -> int | None:
    """Where the full terms start in LICENSE's words (at the start, or after a short preamble)."""
    first = terms[:6]  # "apache license version 2 0 january"
    for index in range(min(MAX_PREAMBLE, len(words))):
        if words[index : index + 6] == first and words[index : index + len(terms)] == terms:
            return index
    return None


def _tail(text: str, skip_words: int) -> str:
    """The text after its first skip_words words (as _words counts them)."""
    normalized = text.replace("https://", "http://")
    for count, match in enumerate(_WORD.finditer(normalized.lower()), start=1):
        if count == skip_words:
            return normalized[match.end() :]
    return ""


def _first_difference(words: list[str], terms: list[str]) -> str:
    for index, word in enumerate(terms):
        if index >= len(words):
            return f"does not hold the full Apache License 2.0: it ends at word {index + 1} of {len(terms)}"
        if words[index] != word:
            return (
                f"differs from the Apache License 2.0 at word {index + 1}: "
                f"expected '{word}', found '{words[index]}'"
            )
    return "does not hold the Apache License 2.0"


def _missing_references(name: str, text: str, scan: ArchiveScan) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    text = _PLACEHOLDER.sub(" ", text)
    # "facebook/rocksdb" names a project, "src/x.h" a file: only paths under a directory the
    # archive has (or a licenses directory) are taken as pointers to files.
    roots = {path.split("/", 1)[0] for path in scan.files if "/" in path} | {"licenses", "license"}
    for found in _PATH.finditer(text):
        path = found.group(1).rstrip(".")
        if path in seen or path.split("/", 1)[0] not in roots:
            continue
        seen.add(path)
        if _exists(path.rstrip("/"), scan):
            continue
        same_name = sorted(p for p in scan.files if p.rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1])
        if recognize.is_license_text(path):
            findings.append(_missing_text(name, path, same_name, scan))
            continue
        # a third-party file listed by a path that is no longer right: the listing is stale
        elsewhere = f" (a file of that name is at {same_name[0]})" if same_name else ""
        findings.append(
            warn(
                path,
                f"{name} lists this file, which is not in the archive{elsewhere}",
                f"bring the path in {name} up to date",
            )
        )
    return findings


def _missing_text(name: str, path: str, same_name: list[str], scan: ArchiveScan) -> Finding:
    """A license text LICENSE points to is not at that path. It fails when the text is missing for
    what the release ships; a pointer that is only out of date warns: the text moved (Thrift
    0.24.0 points to doc/otp-base-license.txt, shipped as doc/licenses/otp-base-license.txt), or
    the text went away with the directory of the code it covered (Qpid Proton 0.40.0 points to
    python/setuputils/PYZMQ_LICENSE.BSD; python/setuputils/ is gone)."""
    stem = path.rsplit("/", 1)[-1]
    if same_name and stem.lower() not in _GENERIC_TEXTS:
        return warn(
            path,
            f"{name} points to this license text, which the archive holds at {same_name[0]}",
            f"bring the path in {name} up to date",
        )
    directory = path.rsplit("/", 1)[0] if "/" in path else ""
    if directory and not recognize.in_license_directory(path) and not _holds(directory, scan):
        return warn(
            path,
            f"{name} points to this license text, but {directory}/, where it and the code it covers "
            "stood, is not in the archive",
            f"remove the entry from {name} if that code is no longer shipped",
        )
    return fail(path, f"{name} points to this license text, which is not in the archive")


# license texts' common names: one elsewhere is not the text a pointer meant
_GENERIC_TEXTS = frozenset(
    f"{stem}{ext}" for stem in ("license", "licence", "copying", "notice") for ext in ("", ".txt", ".md")
)


def _holds(directory: str, scan: ArchiveScan) -> bool:
    prefix = directory + "/"
    return directory in scan.dirs or any(path.startswith(prefix) for path in scan.files)


def _exists(path: str, scan: ArchiveScan) -> bool:
    if "*" in path:
        return any(fnmatch.fnmatchcase(name, path) for name in scan.files)
    return path in scan.files or path in scan.dirs or path in scan.symlinks
