"""asf-release: the Apache release process end to end, and one-command RC verification."""

__version__ = "0.1.0"
