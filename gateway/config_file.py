"""The environment variable that names the config file.

It is the one variable the command line reads itself (for ``--config``'s default),
so it lives apart from ``gateway.settings``: building the parser, as ``haetae
--help`` does, then costs no pydantic import.
"""

from __future__ import annotations

__all__ = ["CONFIG_FILE_VARIABLE"]

#: names the config file itself (read by the CLI), so it is not a setting
CONFIG_FILE_VARIABLE = "HAETAE_CONFIG"
