"""Who is on the PMC: parsed from committee-info.json or a small TOML roster. Pure, no I/O.

committee-info.json (whimsy.apache.org/public/committee-info.json) lists each committee's
members by Apache id and name; their address is uid@apache.org. People often vote from another
address, so a TOML roster can add addresses per person, on top of committee-info or alone:

    committee_info = "https://whimsy.apache.org/public/committee-info.json"   # optional
    [people.bruno]
    name = "Bruno Costa"
    addresses = ["bruno.costa@example.com"]
    [people.dana]                      # not on the PMC: two addresses, still one person
    name = "Dana Okafor"
    addresses = ["dana@example.org", "dana.o@example.net"]
    pmc = false
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from asf_release import boundedjson
from asf_release.errors import ConfigError
from asf_release.mailtext import Sender, one_line

# committee-info.json nests five levels (committees, a committee, roster, a person); a TOML roster
# three. Far deeper is an attack on the parser's recursion, refused before parsing.
MAX_DEPTH = 32

APACHE_DOMAIN = "apache.org"
_PERSON_KEYS = frozenset({"name", "addresses", "pmc"})


@dataclass(frozen=True)
class Member:
    uid: str
    name: str
    addresses: frozenset[str] = frozenset()
    pmc: bool = True

    @property
    def all_addresses(self) -> frozenset[str]:
        own = {f"{self.uid}@{APACHE_DOMAIN}"} if self.uid and "@" not in self.uid else set()
        return frozenset({*own, *self.addresses})


@dataclass(frozen=True)
class Identified:
    member: Member
    how: str  # "address" or "name and the visible start of a hidden address"


@dataclass(frozen=True)
class Roster:
    committee: str
    members: tuple[Member, ...]
    source: str
    committee_info: str = ""  # a committee-info.json this TOML roster builds on, to be merged
    _by_address: dict[str, Member] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for member in self.members:
            for address in member.all_addresses:
                self._by_address.setdefault(address.lower(), member)

    @property
    def pmc(self) -> list[Member]:
        return [m for m in self.members if m.pmc]

    def identify(self, sender: Sender) -> Identified | None:
        """The roster's person behind a sender address, or None."""
        found = self._by_address.get(sender.email)
        if found:
            return Identified(found, "address")
        if sender.hidden and sender.name:
            # archives hide addresses from anonymous readers ("br...@apache.org"): accept a person
            # only when both the visible start of an address and the full name agree
            start, _, domain = sender.email.partition("...@")
            name = fold_name(sender.name)
            candidates = [
                m
                for m in self.members
                if fold_name(m.name) == name
                and any(a.startswith(start) and a.endswith("@" + domain) for a in m.all_addresses)
            ]
            if len(candidates) == 1:
                return Identified(candidates[0], "name and the visible start of a hidden address")
        return None

    def same_name(self, sender: Sender) -> Member | None:
        """A PMC member with the sender's exact name: worth a hint, never proof."""
        if not sender.name:
            return None
        name = fold_name(sender.name)
        matches = [m for m in self.pmc if fold_name(m.name) == name]
        return matches[0] if len(matches) == 1 else None

    def merged(self, base: Roster) -> Roster:
        """This TOML roster's people added to (or completing) the members of base."""
        people = {m.uid: m for m in base.members}
        for member in self.members:
            known = people.get(member.uid)
            if known:
                member = Member(
                    member.uid,
                    member.name or known.name,
                    known.addresses | member.addresses,
                    member.pmc and known.pmc,
                )
            people[member.uid] = member
        return Roster(self.committee, tuple(people.values()), f"{self.source} + {base.source}")


def fold_name(name: str) -> str:
    """Names compared the way people read them: accents, case and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain).strip().casefold()


def parse(data: bytes, committee: str, source: str) -> Roster:
    """A roster from committee-info.json or the TOML format above (told apart by content)."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return _committee_info(text, committee, source)
    return _toml(text, committee, source)


def _committee_info(text: str, committee: str, source: str) -> Roster:
    try:
        document = boundedjson.loads(text, max_depth=MAX_DEPTH)
    except boundedjson.TooDeep as error:
        raise ConfigError(
            f"the roster is not a committee-info.json: its {error}",
            "give committee-info.json from whimsy, or a TOML roster",
            file=source,
        ) from None
    except ValueError as error:
        raise ConfigError(
            f"the roster is not valid JSON ({error})",
            "give committee-info.json from whimsy, or a TOML roster",
            file=source,
        ) from None
    committees = document.get("committees") if isinstance(document, dict) else None
    if not isinstance(committees, dict):
        raise ConfigError(
            "the roster has no 'committees' table: it is not a committee-info.json",
            "use https://whimsy.apache.org/public/committee-info.json or a TOML roster",
            file=source,
        )
    entry = committees.get(committee)
    if not isinstance(entry, dict) or not isinstance(entry.get("roster"), dict):
        raise ConfigError(
            f"committee-info.json has no committee '{committee}'",
            "check vote.committee in the profile (the committee's name in lower case)",
            file=source,
            key="vote.committee",
        )
    members = tuple(_member_from_info(uid, info) for uid, info in sorted(entry["roster"].items()))
    return Roster(committee, members, source)


def _member_from_info(uid: str, info: Any) -> Member:
    name = info.get("name", "") if isinstance(info, dict) else ""
    uid = one_line(uid.lower(), 200)
    return Member(uid, one_line(name if isinstance(name, str) else "", 200) or uid)


def _toml(text: str, committee: str, source: str) -> Roster:
    try:
        boundedjson.check_depth(text, MAX_DEPTH, toml=True)
        document = tomllib.loads(text)
    except boundedjson.TooDeep as error:
        raise ConfigError(f"the roster is not a roster: its {error}", file=source) from None
    except RecursionError:  # the depth scan reads TOML's strings loosely: the parser's own limit
        raise ConfigError("the roster is not a roster: it is nested too deeply", file=source) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"the roster is neither committee-info.json nor valid TOML ({error})",
            "see the roster format in the README (For the release manager: the vote)",
            file=source,
        ) from None
    unknown = set(document) - {"committee_info", "people"}
    if unknown:
        raise ConfigError(
            f"unknown key '{sorted(unknown)[0]}' in the roster",
            "a TOML roster has 'committee_info' (optional) and [people.UID] tables",
            file=source,
        )
    people = document.get("people", {})
    if not isinstance(people, dict):
        raise ConfigError("expected [people.UID] tables", file=source, key="people")
    members = tuple(_member_from_toml(uid, entry, source) for uid, entry in people.items())
    base = document.get("committee_info", "")
    if not isinstance(base, str):
        raise ConfigError("expected a URL or a path", file=source, key="committee_info")
    if not members and not base:
        raise ConfigError(
            "the roster names nobody",
            "add [people.UID] tables, or committee_info = URL to start from committee-info.json",
            file=source,
        )
    return Roster(committee, members, source, committee_info=base)


def _member_from_toml(uid: str, entry: Any, source: str) -> Member:
    key = f"people.{uid}"
    if not isinstance(entry, dict):
        raise ConfigError("expected a table with name and addresses", file=source, key=key)
    unknown = set(entry) - _PERSON_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key '{sorted(unknown)[0]}'", "keys are: name, addresses, pmc", file=source, key=key
        )
    name = entry.get("name", "")
    addresses = entry.get("addresses", [])
    pmc = entry.get("pmc", True)
    if not isinstance(name, str) or not isinstance(pmc, bool):
        raise ConfigError("name is a string and pmc true or false", file=source, key=key)
    if not isinstance(addresses, list) or not all(isinstance(a, str) and "@" in a for a in addresses):
        raise ConfigError("addresses is a list of mail addresses", file=source, key=f"{key}.addresses")
    return Member(
        one_line(uid.lower(), 200), one_line(name, 200), frozenset(a.strip().lower() for a in addresses), pmc
    )
