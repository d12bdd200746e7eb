"""The face: one small function per command; parses, calls the library, renders.

Command modules register in the order of the process, which is the order `--help` shows.
"""

import importlib

from asf_release.cli.app import app, main

for _module in ("status", "prepare", "release", "images", "vote", "verify", "project", "demo"):
    importlib.import_module(f"asf_release.cli.{_module}")

__all__ = ["app", "main"]
