"""``haetae keys create | list | revoke``: gateway-issued API keys.

The key is printed once, on stdout alone (so ``KEY=$(haetae keys create …)``
works); only its digest is written to the key file. The running gateway picks
up new and revoked keys within ``identity.api_keys.reload_seconds``.

Issuing and revoking are admin actions: each is a chained ``admin`` record in
the audit store of ``--config`` (or ``--audit-url``), by the operating-system
user, with the key's id and user — never the key. The store is opened before
the key file is touched, so an unreachable audit store changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.config_file import CONFIG_FILE_VARIABLE
from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.identity.api_keys import KeyEntry, KeyFile

__all__ = ["register"]


def register(commands: Any) -> None:
    """Adds ``keys`` to the ``haetae`` command's subparsers."""
    keys = commands.add_parser("keys", help="issue, list and revoke gateway API keys (hk_…)")
    sub = keys.add_subparsers(title="keys commands")

    create = sub.add_parser("create", help="issue a key for a user; prints it once")
    _file_options(create)
    create.add_argument("--user", required=True, help="who the key identifies")
    create.add_argument(
        "--group", action="append", default=[], help="a group of the user (repeatable)"
    )
    create.add_argument("--note", help="what the key is for (shown by 'list')")
    _audit_option(create)
    create.set_defaults(run=_create)

    listing = sub.add_parser("list", help="show issued keys (never the keys themselves)")
    _file_options(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=_list)

    revoke = sub.add_parser("revoke", help="revoke a key by its id (k_…)")
    _file_options(revoke)
    revoke.add_argument("key_id", help="the id shown by 'create' and 'list'")
    _audit_option(revoke)
    revoke.set_defaults(run=_revoke)


def _file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_FILE_VARIABLE),
        help=f"YAML config file (or ${CONFIG_FILE_VARIABLE}); names identity.api_keys.file",
    )
    parser.add_argument("--file", type=Path, help="the key file (overrides the config)")


def _audit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audit-url", help="audit store that records the action (default: the config's)"
    )


def _key_file(args: argparse.Namespace) -> KeyFile:
    # Here, not at the top: the key store (and asyncio with it) is not needed for --help.
    from gateway.identity.api_keys import KeyFile

    if args.file is not None:
        return KeyFile(args.file)
    from gateway.settings import load_settings

    path = load_settings(Path(args.config) if args.config else None).identity.api_keys.file
    if path is None:
        raise ConfigError("no key file: pass --file, or set identity.api_keys.file in the config")
    return KeyFile(path)


def _audit_store(args: argparse.Namespace) -> Any:
    """The audit store that records this action, opened now; None with no config at all."""
    from gateway.audit.open import open_audit_store

    url = args.audit_url
    if url is None and args.config is not None:
        from gateway.settings import load_settings

        url = load_settings(Path(args.config)).audit.url
    if url is None:
        print(
            "warning: no --config or --audit-url: this action is not recorded in an audit trail",
            file=sys.stderr,
        )
        return None
    try:
        return open_audit_store(url)
    except ValueError as exc:
        raise ConfigError(f"audit store: {exc}") from None


def _record(store: Any, action: str, entry: KeyEntry) -> None:
    if store is None:
        return
    from gateway.audit.admin_event import cli_admin_record

    target = {"key_id": entry.id, "user": entry.user}
    store.append_now(cli_admin_record(action, f"haetae {action.replace('.', ' ')}", target=target))
    store.close()


def _create(args: argparse.Namespace) -> int:
    key_file = _key_file(args)
    store = _audit_store(args)
    key, entry = key_file.create(args.user, args.group, args.note)
    _record(store, "keys.create", entry)
    print(key)
    print(
        f"issued {entry.id} for {entry.user} (groups: {', '.join(entry.groups) or '-'}) "
        f"in {key_file.path}. The key is shown only this once.",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    import orjson

    entries = _key_file(args).read()
    if args.json:
        for entry in entries:
            data = orjson.loads(entry.to_json())
            del data["digest"]
            print(orjson.dumps(data).decode())
        return 0
    rows = [("ID", "USER", "GROUPS", "CREATED", "STATUS", "NOTE")]
    rows.extend(_row(entry) for entry in entries)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def _row(entry: KeyEntry) -> tuple[str, str, str, str, str, str]:
    status = f"revoked {entry.revoked}" if entry.revoked else "active"
    return (
        entry.id,
        entry.user,
        ",".join(entry.groups) or "-",
        entry.created,
        status,
        entry.note or "",
    )


def _revoke(args: argparse.Namespace) -> int:
    key_file = _key_file(args)
    store = _audit_store(args)
    entry = key_file.revoke(args.key_id)
    _record(store, "keys.revoke", entry)
    print(f"{entry.id} ({entry.user}) revoked {entry.revoked}", file=sys.stderr)
    return 0
