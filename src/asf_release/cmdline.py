"""Commands as people see them: the one place that turns an argv into a line to read or paste.

Every command shown to a person (a --dry-run plan, a -vv log line, an error naming the tool that
failed) goes through `display`: secrets masked, then shell-quoted, so the line can be pasted into
a shell and `shlex.split` gives back exactly the argv that was (or would be) run.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

MASK = "******"
_SECRET_FLAGS = {"--password", "--passphrase", "--pass", "--token", "--secret"}
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@")


def mask(argv: Sequence[str], secrets: Sequence[str] = ()) -> list[str]:
    """argv as it may be shown or logged: secret values, secret flags' values and URL passwords hidden."""
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append(MASK)
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if flag in _SECRET_FLAGS:
            if eq:
                shown.append(f"{flag}={MASK}")
            else:
                shown.append(arg)
                hide_next = True
            continue
        for secret in secrets:
            if secret:
                arg = arg.replace(secret, MASK)
        shown.append(_URL_CREDENTIALS.sub(rf"\g<scheme>\g<user>:{MASK}@", arg))
    return shown


def display(argv: Sequence[str], secrets: Sequence[str] = ()) -> str:
    """The command line a person reads or pastes: masked, then quoted for a POSIX shell."""
    return shlex.join(mask(argv, secrets))
