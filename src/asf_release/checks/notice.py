"""notice: NOTICE at the root in the ASF form (the product, a Copyright line of The Apache Software
Foundation, the attribution line); its years reach the current year; no license texts in it."""

from __future__ import annotations

import re

from asf_release.checks.common import root_text
from asf_release.verify.model import CheckResult, Finding, fail, warn
from asf_release.verify.rc import OpenedRC

ID = "notice"
_COPYRIGHT = re.compile(
    r"^\s*Copyright\s+(?:\(c\)\s*|©\s*)?(?P<first>\d{4})(?:\s*[-–,]\s*(?P<last>\d{4}))?\s+The Apache Software Foundation",
    re.IGNORECASE | re.MULTILINE,
)
_ATTRIBUTION = re.compile(
    r"This product includes software developed at\s+The Apache Software Foundation\s+\(https?://www\.apache\.org/?\)",
    re.IGNORECASE,
)
# Phrases of license texts: they belong in LICENSE, NOTICE only carries required notices.
_LICENSE_TEXT = re.compile(
    r"Permission is hereby granted, free of charge|Redistribution and use in source and binary forms"
    r"|THE SOFTWARE IS PROVIDED \"AS IS\"|TERMS AND CONDITIONS FOR USE, REPRODUCTION|GNU GENERAL PUBLIC LICENSE",
    re.IGNORECASE,
)


def check(rc: OpenedRC) -> CheckResult:
    text = root_text(rc, ID, "NOTICE", "notice")
    if isinstance(text, CheckResult):
        return text
    findings: list[Finding] = []
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    product = rc.profile.project.product
    if product.lower() not in first.lower():
        findings.append(warn("NOTICE", f"its first line is '{first[:80]}', not the product name {product}"))
    copyright_line = _COPYRIGHT.search(text)
    if copyright_line is None:
        findings.append(fail("NOTICE", "has no 'Copyright YYYY[-YYYY] The Apache Software Foundation' line"))
    else:
        last = int(copyright_line.group("last") or copyright_line.group("first"))
        if last < rc.today.year:
            findings.append(
                warn(
                    "NOTICE", f"its copyright years end in {last}; it is {rc.today.year}", "update the years"
                )
            )
    if not _ATTRIBUTION.search(" ".join(text.split())):
        findings.append(
            fail(
                "NOTICE",
                "lacks the attribution 'This product includes software developed at The Apache Software Foundation (http://www.apache.org/).'",
            )
        )
    if _LICENSE_TEXT.search(text):
        findings.append(
            warn(
                "NOTICE",
                "carries license text, which belongs in LICENSE",
                "keep only required notices in NOTICE",
            )
        )
    return CheckResult.of(ID, findings, "NOTICE in the ASF form" if not findings else "")
