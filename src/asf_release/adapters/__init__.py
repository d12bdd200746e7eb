"""Adapters own the outside: each module wraps one real tool or protocol and returns plain data."""
