"""Small rules of English the messages share."""

from __future__ import annotations


def count(number: int, noun: str) -> str:
    """'1 commit', '2 commits': a number with its noun, plural when it is not one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
