"""license-eye's text normalisation (skywalking-eyes `pkg/license/norm.go`), rule for rule and in
its order, so a header is found exactly where license-eye finds it.

Go's regular expressions differ from Python's in a few classes; they are spelled out here: Go's
`\\s` is `[\\t\\n\\f\\r ]` (no vertical tab, no Unicode spaces) and its `\\b`/`\\w` are ASCII. As in
Go, `^\\s*` under (?m) may run across empty lines. Text is decoded with surrogateescape so that
positions can be counted in bytes, as Go counts them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_S = r"[\t\n\f\r ]"  # Go's \s
_M = re.MULTILINE
_I = re.IGNORECASE
_A = re.ASCII


def _go(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern.replace(r"\s", _S), flags | _A)


# 6. Code comment indicators, stripped in this order, each over the whole text.
COMMENT_INDICATORS: tuple[re.Pattern[str], ...] = (
    _go(r"^\s*#+", _M),
    _go(r"^\s*//+", _M),
    _go(r'^\s*"""+', _M),
    _go(r"^\s*\(\*+", _M),
    _go(r"^\s*;+", _M),
    _go(r"^\s*/\*+", _M),
    _go(r"^\s*\*+/", _M),
    _go(r"^\s*\*+", _M),
    _go(r"^\s*/", _M),
    _go(r"^\s*<!--+", _M),
    _go(r"^\s*--+>", _M),
    _go(r"^\s*--+", _M),
    _go(r"^\s*~+", _M),
    _go(r"^\s*\{-+", _M),
    _go(r"^\s*-\}+", _M),
    _go(r"^\s*::", _M),
    _go(r"^\s*\.\.", _M),
    _go(r"^\s*@?REM", _M | _I),
    _go(r"^\s*%+", _M | _I),
    _go(r"^\s*\{#+", _M),
    _go(r"^\s*#+\}", _M),
    _go(r"^\s*\{\*+", _M),
    _go(r"^\s*\*+\}", _M),
    _go(r"^\s*'+", _M),
    _go(r"^\s*\|+", _M),
)

_LINE_PROCESSORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_go(r"^\s*\(?(The )?MIT License( \((MIT|Expat)\))?\)?\s*$", _I | _M), ""),
    (_go(r"^\s*?the (two|three)? clause bsd license (\(http(s)?://(\w|\.|/)+\))?$", _I | _M), ""),
    (_go(r"^\s*?bsd ([23])-clause license\s*$", _I | _M), ""),
    (_go(r"^\s*(The )?ISC License:?$", _I | _M), ""),
    (_go(r"^[>*]\s+", _M), " "),
    (_go(r"^\s*[a-z0-9]\. ", _M), " "),
    (_go(r"^\s*\([a-z0-9]\) ", _M), " "),
    (_go(r"\s+[*]$", _M), " "),
    (_go(r"^\s*All rights reserved\.?$", _M), ""),
    (_go(r"^\s*.+ is distributed under the Simplified BSD License\:?$", _I | _M), ""),
    (_go(r"^\s*Please consider promoting this project if you find it useful\.?$", _I | _M), ""),
    (_go(r"[\n\r]+"), " "),
)

_WORDS = {
    "acknowledgement": "acknowledgment",
    "analog": "analogue",
    "analyze": "analyse",
    "artifact": "artefact",
    "authorization": "authorisation",
    "authorized": "authorised",
    "caliber": "calibre",
    "canceled": "cancelled",
    "capitalizations": "capitalisations",
    "catalog": "catalogue",
    "categorize": "categorise",
    "center": "centre",
    "copyright holder": "copyright owner",
    "emphasized": "emphasised",
    "favor": "favour",
    "favorite": "favourite",
    "fulfill": "fulfil",
    "fulfillment": "fulfilment",
    "initialize": "initialise",
    "judgement": "judgment",
    "labeling": "labelling",
    "labor": "labour",
    "licence": "license",
    "maximize": "maximise",
    "modeled": "modelled",
    "modeling": "modelling",
    "noncommercial": "non-commercial",
    "offense": "offence",
    "optimize": "optimise",
    "organization": "organisation",
    "organize": "organise",
    "percent": "per cent",
    "practice": "practise",
    "program": "programme",
    "realize": "realise",
    "recognize": "recognise",
    "signaling": "signalling",
    "sub licen[sc]e": "sublicense",
    "sub-licen[sc]e": "sublicense",
    "utilization": "utilisation",
    "while": "whilst",
    "wilfull": "wilful",
}

# (pattern, replacement, a lower-case word the text must hold for the pattern to have any effect)
_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    *(
        (_go(rf"\b{word}\b", _I), spelled, word.split(" ")[0].split("-")[0][:5])
        for word, spelled in _WORDS.items()
    ),
    (_go("©"), "Copyright ", "©"),
    (_go(r"\(([cC])\)"), "Copyright ", "(c)"),
    (_go(r"\bhttps://"), "http://", "https://"),
    (_go("“+"), "'", "“"),
    (_go("”+"), "'", "”"),
    (_go("’+"), "'", "’"),
    (_go("`+"), "'", "`"),
    (_go('"+'), "'", '"'),
    (_go("'+"), "'", "''"),
    (_go(r"\b(the )?Apache Software Foundation( \(ASF\))?", _I), "the ASF", "apache software foundation"),
    (_go(r"[-=*]{3,}"), "", ""),
    (_go(r"Mozilla Public License version 2\.0", _I), "Mozilla Public License, Version 2.0", "mozilla"),
    (_go(r"Mozilla Public License,? v\. ?2\.0", _I), "Mozilla Public License, v. 2.0", "mozilla"),
    (
        _go(r"IN NO EVENT SHALL (.+?) BE LIABLE", _I),
        "IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE",
        "in no event",
    ),
    (
        _go(r"The names of (its|the) contributors may not be used to endorse", _I),
        "Neither the name of the copyright holder nor the names of its contributors may be used to endorse",
        "endorse",
    ),
    (
        _go(r"The name (.+?) may not be used to endorse", _I),
        "Neither the name of the copyright holder nor the names of its contributors may be used to endorse",
        "endorse",
    ),
    (
        _go(r"(neither the name)( of)? (.+?) (nor the names)( of( its authors and)?)?( its)?", _I),
        r"\1 the copyright holder \4",
        "neither the name",
    ),
    (
        _go(r"you may not use this (file|library) except", _I),
        "you may not use this file except",
        "you may not use",
    ),
    (
        _go(r"THIS SOFTWARE IS PROVIDED BY (.+?)'AS IS'", _I),
        "THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS 'AS IS'",
        "provided by",
    ),
    (
        _go(
            r"This license applies to .+? portions of this .+?\. The .+? maintains its own .+? license\.",
            _I | _M,
        ),
        "",
        "this license applies",
    ),
    (_go(r"\(including the next paragraph\)", _I | _M), "", "including the next"),
)

_FLATTEN = _go(r"\s+")
# Go's unicode.IsSpace, which strings.TrimSpace uses
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def strip_comment_indicators(text: str) -> str:
    for indicator in COMMENT_INDICATORS:
        text = indicator.sub("", text)
    return text


def _one_line(text: str) -> str:
    for pattern, replacement in _LINE_PROCESSORS:
        text = pattern.sub(replacement, text)
    return text


def _substantive(text: str) -> str:
    lowered = text.lower()
    for pattern, replacement, needle in _SUBSTITUTIONS:
        if needle in lowered or not needle:
            changed = pattern.sub(replacement, text)
            if changed != text:
                text, lowered = changed, changed.lower()
    return text


def _flatten(text: str) -> str:
    return _FLATTEN.sub(" ", text)


_NORMALIZERS: tuple[Callable[[str], str], ...] = (
    _one_line,
    _flatten,
    _substantive,
    _flatten,
    str.lower,
    lambda text: text.strip(_GO_SPACE),
)


def normalize_pattern(pattern: str) -> str:
    """license-eye's NormalizePattern: a configured `pattern` goes through the same chain, comment
    indicators excepted (it is still a regular expression afterwards, lower-cased as license-eye
    leaves it)."""
    for step in _NORMALIZERS:
        pattern = step(pattern)
    return pattern


def normalize(text: str) -> str:
    """license-eye's Normalize / NormalizeHeader: comment indicators, then the chain."""
    return normalize_pattern(strip_comment_indicators(text))


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def byte_offset(text: str, index: int) -> int:
    """The position of text[index] counted in UTF-8 bytes, as Go's strings.Index counts."""
    return len(text[:index].encode("utf-8", errors="surrogateescape"))


@lru_cache(maxsize=8192)
def normalized_bytes(data: bytes) -> str:
    """normalize() of raw bytes; cached because most files of a project start with the same bytes."""
    return normalize(decode(data))
