"""What a file's head grants, and which files are license texts.

A file is under a license only when its head grants it: an `SPDX-License-Identifier:` expression,
or a notice that licenses the file ("you can redistribute it and/or modify it under the terms of
the GNU General Public License", "Permission is hereby granted, free of charge", "Redistribution
and use in source and binary forms ... are permitted"...). A text that only names a license (the
MPL-2.0 defines "Secondary License" as the GNU GPL, LGPL or AGPL) grants nothing. When a head
offers a choice ("Alternatively, ... may be used under the terms of", "dual licensed", "at your
option" between two licenses), the file is under one license or the other, at the recipient's
choice.

License texts are documentation, never code under the license they hold: LICENSE*, LICENCE*,
COPYING*, NOTICE* files, anything under a `licenses/` directory at any depth or a collection of
license templates, and files that begin with a license's title or hold template placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asf_release.policy import licenses
from asf_release.policy.projectrules import SOURCE_EXTENSIONS

HEAD = 4096  # bytes of a file read for its grant: where notices stand

# Cheap byte checks first: only a head that may grant something is read further. Every grant
# read below mentions a license ("licen": GNU, MIT, BSD-style, MPL, EPL, CDDL, Boost, SPDX...) or
# holds one of _RARE (the MIT, ISC, zlib and BSD texts; public domain). The ASF header mentions
# "licen" a known number of times: a head carrying it may grant more only when it says "licen"
# more often than that.
_RARE = (b"granted", b"redistribution", b"public domain", b"spdx", b"disclaims copyright")
ASF_HEADER_LICEN = 12  # "licen" in the ASF header (its template and data/asf-header.txt)


def _hinted(head: bytes, asf_header: bool) -> bool:
    low = head.lower()  # bytes.lower, `in` and count are C loops: a few passes beat one regex
    for hint in _RARE:
        if hint in low:
            return True
    return low.count(b"licen") > ASF_HEADER_LICEN if asf_header else b"licen" in low


# LICENSE, COPYING.LIB, NOTICE.txt, LICENSE-foo.txt, jetty-9.4.LICENSE.txt, foo_license.md...
_NAME_DOCS = re.compile(
    r"^(?:licen[cs]e|copying|notice|copyright|unlicense|patents)(?:[-._].*)?$"
    r"|[-._](?:licen[cs]e|copying|notice)(?:[-._][\w.-]*)?$",
    re.IGNORECASE,
)
_DIR_DOCS = frozenset(
    {
        "licenses",
        "licences",
        "license-templates",
        "licence-templates",
        "header-templates",
        "lcs-templates",
        "license-list-data",
        "spdx-templates",
    }
)
_TITLE = re.compile(
    r"^\W*(?:the )?(?:gnu (?:lesser |library |affero )?general public license|mozilla public license"
    r"|eclipse public license|common development and distribution license|apache license"
    r"|mit license|(?:the )?bsd [1-4]-clause license|boost software license|creative commons"
    r"|server side public license|business source license|elastic license|isc license"
    r"|academic free license|artistic license|european union public licen[cs]e|the unlicense)\b",
)
# placeholders of license templates: [year] [owner] <year> <name of author> <<var;...>> {{year}}
_PLACEHOLDER = re.compile(
    r"\[(?:yyyy|year|owner|name of copyright owner|fullname|software-name)\]|<(?:year|owner|name of author|copyright holders?)>"
    r"|<<var;|\{\{\s*(?:year|owner|copyright_?owner)\s*\}\}",
)


def is_license_text(path: str) -> bool:
    """License texts by their name or place: LICENSE*, COPYING*, NOTICE*, under licenses/..."""
    name = path.lower().rsplit("/", 1)[-1]
    # but a source file named license.go or notice.py is code
    if _NAME_DOCS.search(name) and ("." not in name or name.rsplit(".", 1)[-1] not in SOURCE_EXTENSIONS):
        return True
    return in_license_directory(path)


def in_license_directory(path: str) -> bool:
    """Under a directory of license texts (licenses/, license-templates/...), at any depth."""
    return any(part in _DIR_DOCS for part in path.lower().split("/")[:-1])


@dataclass(frozen=True)
class Grant:
    judgement: licenses.Judgement
    how: str  # "SPDX-License-Identifier" or "license notice"

    @property
    def expression(self) -> str:
        return self.judgement.expression


# at a line's start, after comment markers only: not a string in code that handles SPDX lines
_SPDX_LINE = re.compile(rb"(?m)^[^\w\n\"'`]{0,8}spdx-license-identifier\s*:\s*([^\n\r]*)", re.IGNORECASE)
_SPDX_TAIL = re.compile(r"\s*(?:\*/|-->|\*\)|-\}|#\}|%\}|\"\"\"|'''|\*|;|,)+\s*$")
_COMMENT = re.compile(r"(?m)^[ \t]*(?:#+|//+|/\*+|\*+/?|--+|;+|<!--+|\(\*+|\{-+|%+|'+|\"{3})")

_GNU_VERSION = re.compile(r"\bversion ([1-3](?:\.[01])?)\b")
_GNU = r"gnu (?:(?P<lesser>lesser|library) |(?P<affero>affero) )?general public license"
# Who is licensed: this file, program, library... (never "libfoo is licensed under the GPL")
_THIS = (
    r"(?:this|the) (?:[\w.-]+ ){0,3}?(?:file|program|library|code|software|module|project|package|header|work)s?"
    r"|the contents of this file"
)
_UNDER_TERMS = r"(?:the )?(?:terms of )?(?:version [1-3](?:\.[01])? of )?(?:the )?"
_GRANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"(?:redistribute it and/or modify it|may be used|can be used) under {_UNDER_TERMS}{_GNU}"
        ),
        "GNU",
    ),
    (
        re.compile(
            rf"(?:{_THIS}) (?:is |are )?(?:also )?(?:licensed|released|distributed|made available|available)"
            rf" under (?:both )?{_UNDER_TERMS}{_GNU}"
        ),
        "GNU",
    ),
    (
        re.compile(
            rf"(?:{_THIS}) (?:is |are )?(?:also )?(?:licensed|released|distributed|made available|available)"
            r" under (?:both )?(?:the )?(?:gnu )?(?P<short>a|l)?gpl(?:v| version |-| v)?(?P<number>[1-3](?:\.[01])?)?\b"
        ),
        "GPL-short",
    ),
    (
        re.compile(
            r"licensed under both the .{0,120}? and (?:the )?apache(?: license)?,? (?:version |v)?2(?:\.0)?\b"
        ),
        "Apache-2.0",
    ),
    (re.compile(r"permission is hereby granted, free of charge, to any person obtaining a copy"), "MIT"),
    (re.compile(r"(?:licensed|released|distributed) under (?:the |an? )?mit(?:-style)? license"), "MIT"),
    (
        re.compile(
            r"redistribution and use in source and binary forms, with or without modifica-? ?tion, are permitted"
        ),
        "BSD",
    ),
    (re.compile(r"governed by an? bsd-style license"), "BSD-3-Clause"),
    (
        re.compile(
            r"permission to use, copy, modify,? (?:and/or |and )?distribute this software"
            r"(?: and its documentation)? for any purpose"
        ),
        "ISC",
    ),
    (
        re.compile(
            r"provided 'as-is', without any express or implied warranty.{0,400}permission is granted to anyone"
        ),
        "Zlib",
    ),
    (re.compile(r"distributed under the boost software license"), "BSL-1.0"),
    (re.compile(r"subject to the terms of the mozilla public license,? v(?:ersion|\.) ?2\.0"), "MPL-2.0"),
    (re.compile(r"subject to the mozilla public license,? version 1\.1"), "MPL-1.1"),
    (
        re.compile(r"made available under the terms of the eclipse public license(?: v| version |-v)? ?2\.0"),
        "EPL-2.0",
    ),
    (
        re.compile(r"made available under the terms of the eclipse public license(?: v| version |-v)? ?1\.0"),
        "EPL-1.0",
    ),
    (
        re.compile(
            r"subject to the terms of the common development and distribution license(?: \(cddl\))?(?: version 1\.1| 1\.1)"
        ),
        "CDDL-1.1",
    ),
    (re.compile(r"subject to the terms of the common development and distribution license"), "CDDL-1.0"),
    (re.compile(r"licensed under the apache license,? version 2\.0"), "Apache-2.0"),
    (
        re.compile(
            r"(?:placed|released|dedicated|put) (?:it |this (?:file|code|software) )?(?:in|into|to) the public domain"
        ),
        "LicenseRef-Public-Domain",
    ),
    # SQLite's and MurmurHash's words (datasketches-cpp 5.2.0's common/include/MurmurHash3.h)
    (
        re.compile(r"the author (?:hereby )?disclaims copyright to this source code"),
        "LicenseRef-Public-Domain",
    ),
    (re.compile(r"the software shall be used for good, not evil"), "JSON"),
    (re.compile(r"(?:licensed|released|made available) under the server side public license"), "SSPL-1.0"),
    (re.compile(r"(?:licensed|released|made available) under the business source license"), "BUSL-1.1"),
    (re.compile(r"(?:licensed|released|made available) under the elastic license 2\.0"), "Elastic-2.0"),
)
_LATER = re.compile(r"\(?at your option\)? any later version|or any later version|or later version")
_CHOICE = re.compile(
    r"\balternatively\b|dual[- ]licen[cs]ed|licensed under both|at (?:your|the user's|the recipient's) (?:option|choice)|you may choose"
    r"|under either (?:the )?(?:terms|license)|\beither the [\w .-]{2,60} or the [\w .-]{2,60} licen[cs]e"
)


def _expression_line(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return _SPDX_TAIL.sub("", text).strip().strip("'\"`")


def _flat(head: bytes) -> str:
    text = head.decode("utf-8", errors="replace").lower()
    text = _COMMENT.sub(" ", text)
    text = text.translate(_QUOTES)
    return " ".join(text.split())


_QUOTES = str.maketrans({"“": "'", "”": "'", "’": "'", "`": "'", '"': "'"})


def _gnu(found: re.Match[str], text: str) -> str:
    family = "AGPL" if found.group("affero") else "LGPL" if found.group("lesser") else "GPL"
    window = text[found.start() : found.end() + 200]
    numbered = _GNU_VERSION.search(window)
    version = numbered.group(1) if numbered else {"GPL": "2", "LGPL": "2.1", "AGPL": "3"}[family]
    if "." not in version:
        version += ".0"
    later = _LATER.search(window) is not None
    return f"{family}-{version}-{'or-later' if later else 'only'}"


def _bsd(text: str) -> str:
    if "advertising materials mentioning features" in text:
        return "BSD-4-Clause-UC" if "university of california" in text else "BSD-4-Clause"
    if "neither the name" in text or "may not be used to endorse" in text or "nor the names of" in text:
        return "BSD-3-Clause"
    return "BSD-2-Clause"


def grant(head: bytes, size: int = HEAD, *, asf_header: bool = False) -> Grant | None:
    """The license a file's first `size` bytes grant, or None when they grant none recognised.
    asf_header: the head carries the ASF header (the scan found it), which lets the look be quick."""
    whole, head = head, head[:size]
    if not _hinted(head, asf_header):
        return None
    spdx = [_expression_line(m.group(1)) for m in _SPDX_LINE.finditer(head)]
    spdx = [e for e in spdx if e]
    if spdx:
        return Grant(licenses.combine(spdx, choice=False), "SPDX-License-Identifier")
    text = _flat(head)
    if _PLACEHOLDER.search(text) or _TITLE.match(text):
        return None  # a license template or a license's own text: documentation
    found = _grants_in(text)
    if not found:
        return None
    choice = _CHOICE.search(_LATER.sub("", text)) is not None
    # an exception may follow a long notice: it is looked for in all the bytes given
    gnu = any(name.startswith(("GPL-", "LGPL-")) for _, name in found)
    wider = _flat(whole) if gnu and len(whole) > len(head) else text
    ordered = [_with_exception(name, wider) for _, name in sorted(found)]
    return Grant(licenses.combine(ordered, choice=choice), "license notice")


def carries_license(head: bytes, size: int = HEAD) -> bool:
    """Whether a file's head holds a license header of any kind, as RAT sees one: a grant, or a
    license's own text on top of the file (arrow-rs' arrow-array/src/delta.rs opens with
    "// MIT License" and the MIT terms, then its code), which grant() leaves to documentation."""
    head = head[:size]
    if grant(head, size) is not None:
        return True
    return _hinted(head, False) and bool(_grants_in(_flat(head)))


def _grants_in(text: str) -> list[tuple[int, str]]:
    """Each grant read in the flattened text: (where it starts, its license)."""
    found: list[tuple[int, str]] = []
    for pattern, name in _GRANTS:
        for match in pattern.finditer(text):
            if name == "GNU":
                found.append((match.start(), _gnu(match, text)))
            elif name == "GPL-short":
                found.append((match.start(), _gpl_short(match)))
            elif name == "BSD":
                found.append((match.start(), _bsd(text)))
            else:
                found.append((match.start(), name))
    return found


_EXCEPTIONS = (
    (
        re.compile(r"special exception.{0,200}configuration script generated by autoconf"),
        "Autoconf-exception-generic",
    ),
    (re.compile(r"special exception.{0,120}autoconf macro's copyright owner"), "Autoconf-exception-macro"),
    (re.compile(r"special exception.{0,200}built using gnu libtool"), "Libtool-exception"),
    (re.compile(r"special exception.{0,300}bison parser skeleton"), "Bison-exception-2.2"),
)


def _with_exception(name: str, text: str) -> str:
    """A GNU license with the exception its notice grants (autoconf's, libtool's, Bison's)."""
    if not name.startswith(("GPL-", "LGPL-")):
        return name
    for pattern, exception in _EXCEPTIONS:
        if pattern.search(text):
            return f"{name} WITH {exception}"
    return name


def _gpl_short(found: re.Match[str]) -> str:
    family = {"a": "AGPL", "l": "LGPL"}.get(found.group("short") or "", "GPL")
    version = found.group("number") or {"GPL": "2", "LGPL": "2.1", "AGPL": "3"}[family]
    return f"{family}-{version if '.' in version else version + '.0'}-only"
