"""Texts shipped with asf-release: the Apache License 2.0 and the standard ASF source header."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def text(name: str) -> str:
    return (resources.files("asf_release") / "data" / name).read_text()


def apache_license() -> str:
    return text("apache-2.0.txt")


def asf_header() -> str:
    return text("asf-header.txt")
