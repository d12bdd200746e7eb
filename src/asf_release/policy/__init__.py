"""ASF licensing policy as data, and the header rules projects write, read the way their tools read
them.

- `licenses`: SPDX ids with their ASF category (A, B, X) from `licenses.toml`; SPDX expressions
  judged with a choice (`OR`) counting as its best option.
- `recognize`: what a file's head grants (an SPDX-License-Identifier, a known grant or notice),
  and which files are license texts (documentation, never code under that license).
- `normalize`, `doublestar`, `sniff`, `licenseye`: license-eye's (apache/skywalking-eyes) header
  check, ported: its normalisation, doublestar v2 globs, Go's text sniffing and its config.
- `projectrules`: the other rules projects keep (Apache RAT excludes, hawkeye's licenserc.toml).
"""
