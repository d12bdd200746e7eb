"""The checks of `verify`, one module per family, each a function of an opened RC returning a
CheckResult. Ids are stable: people select, skip and script them."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asf_release.verify.model import CheckResult
    from asf_release.verify.rc import OpenedRC

# id -> (module, function, what it answers), in the order of the seed's checklist
CHECKS: dict[str, tuple[str, str, str]] = {
    "artifacts": ("artifacts", "check", "the expected artifacts, each with a signature and a checksum"),
    "checksums": ("checksums", "check", "checksums recomputed and compared"),
    "signatures": ("signatures", "check", "signatures verified against KEYS"),
    "archive": ("archive", "check", "the archive opens safely, under one top directory"),
    "license": ("license", "check", "LICENSE holds the Apache License 2.0"),
    "notice": ("notice", "check", "NOTICE in the ASF form, years up to date"),
    "headers": ("headers", "check", "source files carry the ASF header"),
    "binaries": ("binaries", "check", "no compiled code in the source release"),
    "provenance": ("provenance", "check", "the archive equals the tag's tree and git archive"),
    "build": ("build", "check_build", "it builds from source"),
    "tests": ("build", "check_tests", "its tests pass"),
    # run only when an image is given or known (verify --image, the ledger, the profile)
    "image-platforms": ("images", "check_platforms", "the image index lists every platform"),
    "image-licenses": (
        "images",
        "check_licenses",
        "every platform image carries LICENSE, NOTICE and the licenses",
    ),
    "image-version": ("images", "check_version", "the image's labels name the version and commit"),
    "image-runs": ("images", "check_runs", "the image prints its version and answers a smoke test"),
}
IDS = tuple(CHECKS)
# Checks that read the source archive's content (the others need only the files beside it).
CONTENT = frozenset(
    {"archive", "license", "notice", "headers", "binaries", "provenance", "build", "tests", "image-licenses"}
)
BUILD = frozenset({"build", "tests"})
IMAGE = frozenset({"image-platforms", "image-licenses", "image-version", "image-runs"})


def function(check_id: str) -> Callable[[OpenedRC], CheckResult]:
    module, name, _ = CHECKS[check_id]
    found: Callable[[OpenedRC], CheckResult] = getattr(import_module(f"asf_release.checks.{module}"), name)
    return found


def describe(check_id: str) -> str:
    return CHECKS[check_id][2]
