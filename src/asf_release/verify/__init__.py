"""Verify a release candidate: the voter's checklist in one call.

verify(ctx, VerifyRequest(source="2.11.0", rc=1)) -> Report
"""

from asf_release.verify.model import CheckResult, Finding, Level, Report, Status
from asf_release.verify.runner import VerifyRequest, selected_checks, verify

__all__ = [
    "CheckResult",
    "Finding",
    "Level",
    "Report",
    "Status",
    "VerifyRequest",
    "selected_checks",
    "verify",
]
