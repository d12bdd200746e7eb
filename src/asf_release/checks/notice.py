"""notice: NOTICE (or NOTICE.txt, NOTICE.md) at the root in the ASF form: the product, a copyright
line of The Apache Software Foundation, the attribution; its years reaching the release's year; no
license texts in it.

Only what is missing fails (no attribution at all; a missing copyright line of the ASF warns, as
the ASF's guide says "should" and voted releases lack it). The wordings
projects use ("Copyright (c) 2014 and onwards The Apache Software Foundation.", years in brackets
as Celix writes them, Subversion's "software developed by many people and distributed by The Apache
Software Foundation", a parent product's name on the first line) are accepted, or warn where the
ASF's form differs.
"""

from __future__ import annotations

import re

from asf_release.checks.common import release_date, root_text
from asf_release.verify.model import CheckResult, Finding, fail, warn
from asf_release.verify.rc import OpenedRC
from asf_release.wording import count

ID = "notice"
_ASF = r"(?:the\s+)?apache\s+software\s+foundation"
# the years may stand in brackets, as in the template the line was filled from (Apache Celix:
# "Copyright [2010-2019] The Apache Software Foundation")
_COPYRIGHT = re.compile(
    rf"copyright\s+(?:\(c\)\s*|©\s*)*\[?(?P<years>(?:\d{{4}}(?:\s*(?:[-–,]|and)\s*)?)+)\]?[^\n]{{0,40}}?{_ASF}",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    rf"This product includes software developed at\s+{_ASF}\s+\(https?://www\.apache\.org/?\)",
    re.IGNORECASE,
)
# other wordings that still attribute the software to the ASF
_ATTRIBUTION_VARIANT = re.compile(
    rf"(?:developed|distributed)\s+(?:at|by)\s+[^.]{{0,80}}?{_ASF}", re.IGNORECASE
)
# Phrases of license texts: they belong in LICENSE, NOTICE only carries required notices.
_LICENSE_TEXT = re.compile(
    r"Permission is hereby granted, free of charge|Redistribution and use in source and binary forms"
    r"|THE SOFTWARE IS PROVIDED \"AS IS\"|TERMS AND CONDITIONS FOR USE, REPRODUCTION|GNU GENERAL PUBLIC LICENSE",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\d{4}")


def check(rc: OpenedRC) -> CheckResult:
    found = root_text(rc, ID, "NOTICE", "notice")
    if isinstance(found, CheckResult):
        return found
    name, text = found
    flat = " ".join(text.split())
    findings: list[Finding] = []
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    product = rc.profile.project.product
    if product.lower() not in first.lower():
        parent = first and product.lower().startswith(first.lower().rstrip("."))
        findings.append(
            warn(
                name,
                f"its first line is '{first[:80]}'"
                + (f", the parent of {product}" if parent else f", not the product name {product}"),
                "the first line names the product the release is of",
            )
        )
    copyright_line = _COPYRIGHT.search(flat)
    if copyright_line is None:
        # the ASF's how-to says NOTICE "should" carry it, and voted releases have shipped without
        # it (mod_perl 2.0.13): the PMC's call, not a proven breach of policy
        findings.append(
            warn(
                name,
                "has no 'Copyright YYYY[-YYYY] The Apache Software Foundation' line",
                "the ASF's guide to LICENSE and NOTICE asks for it at the top of NOTICE",
            )
        )
    else:
        last = max(int(year) for year in _YEAR.findall(copyright_line.group("years")))
        onwards = re.search(r"onwards|present", copyright_line.group(0), re.IGNORECASE)
        # the release's date is looked up only when the years do not reach today's
        if last < rc.today.year and not onwards and last < (released := release_date(rc)).year:
            findings.append(
                warn(
                    name,
                    f"its copyright years end in {last}; the release was made in {released.year}",
                    "update the years",
                )
            )
    if not _ATTRIBUTION.search(flat):
        variant = _ATTRIBUTION_VARIANT.search(flat)
        if variant:
            findings.append(
                warn(
                    name,
                    f"attributes the software to the ASF in its own words ('{variant.group(0)[:100]}')",
                    "the ASF's form is 'This product includes software developed at The Apache Software "
                    "Foundation (http://www.apache.org/).'",
                )
            )
        else:
            findings.append(
                fail(
                    name,
                    "lacks the attribution 'This product includes software developed at The Apache Software Foundation (http://www.apache.org/).'",
                )
            )
    if _LICENSE_TEXT.search(text):
        findings.append(
            warn(
                name, "carries license text, which belongs in LICENSE", "keep only required notices in NOTICE"
            )
        )
    levels = ", ".join(sorted({f.level.value for f in findings}))
    summary = (
        f"{name}: {count(len(findings), 'finding')} ({levels})" if findings else f"{name} in the ASF form"
    )
    return CheckResult.of(ID, findings, summary)
