"""Providers: the catalog of who runs each API, and one dialect per wire format.

A regular package (it was a namespace package) so that import-linter sees its
modules and the layer contracts in pyproject.toml cover them.
"""
