"""Benchmarks: each a command that prints a table, with a baseline measured in the same run."""
