"""What serves development, never the request path: benchmarks, the labelled
evaluation corpus, the demo and the test doubles.

Nothing under ``gateway.dev`` is imported by the gateway at run time; the CLI
reaches it lazily (``haetae bench``, ``haetae eval``, ``haetae demo``) and the
import-linter contracts in pyproject.toml keep it that way.
"""
