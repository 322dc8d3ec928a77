"""``haetae console password NAME``: a break-glass administrator for the web console.

The password is asked twice (or read from stdin with ``--stdin``) and only its
argon2id hash is kept: printed for ``console.local_admins`` in the settings, or
written into ``console.local_admins_file`` with ``--file`` (0600). The gateway
reads either at start-up.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

__all__ = ["register"]


def register(commands: Any) -> None:
    console = commands.add_parser("console", help="set up the web console (/console/)")
    sub = console.add_subparsers(title="console commands")
    password = sub.add_parser(
        "password", help="hash a break-glass administrator's password (argon2id)"
    )
    password.add_argument("name", help="the administrator's name (shown in the audit log)")
    password.add_argument(
        "--file", type=Path, help="write it into this console.local_admins_file (else: print)"
    )
    password.add_argument(
        "--stdin", action="store_true", help="read the password from stdin (one line)"
    )
    password.set_defaults(run=_password)


def _password(args: argparse.Namespace) -> int:
    from gateway.console.local_admins import write_local_admin
    from gateway.console.passwords import hash_password

    if args.stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != secret:
            raise ConfigError("the two passwords differ")
    try:
        hashed = hash_password(secret)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.file is None:
        print(f"console:\n  local_admins:\n    {args.name}: '{hashed}'")
    else:
        write_local_admin(args.file, args.name, hashed)
        print(f"{args.name}: written to {args.file}", file=sys.stderr)
    return 0
