"""The face: one small function per command; parses, calls the library, renders."""

from asf_release.cli import demo, prepare, project, status
from asf_release.cli.app import app, main

__all__ = ["app", "demo", "main", "prepare", "project", "status"]
