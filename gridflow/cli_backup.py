"""`gridflow backup DIR` and `gridflow restore DIR --into DATA_DIR` (gridflow.backup); the passphrase comes from
GRIDFLOW_BACKUP_PASSPHRASE or is asked for at the terminal."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from gridflow.errors import OperatorError

PASSPHRASE_VARIABLE = "GRIDFLOW_BACKUP_PASSPHRASE"


def passphrase(confirm: bool) -> str:
    if os.environ.get(PASSPHRASE_VARIABLE):
        return os.environ[PASSPHRASE_VARIABLE]
    if not sys.stdin.isatty():
        raise OperatorError(f"no passphrase: set {PASSPHRASE_VARIABLE} or run at a terminal to type it")
    typed = getpass.getpass("backup passphrase: ")
    if confirm and getpass.getpass("the same again: ") != typed:
        raise OperatorError("the two passphrases differ")
    return typed


def cmd_backup(system: Any, args: argparse.Namespace) -> int:
    from gridflow.backup import take_backup

    manifest = take_backup(system, args.dir, passphrase(confirm=True), keys_to=args.keys_to)
    chain = manifest["chain_head"]
    print(f"backup of the {manifest['store']['kind']} store in {args.dir}: notifications up to "
          f"#{manifest['notification_head']}, {manifest['person_keys']} person keys, chain head "
          f"#{chain['position']} {chain['digest'][:16]}…, {len(manifest['files'])} files")
    print(f"keys sealed with the passphrase in {args.keys_to or args.dir / 'keys.enc'}: keep them apart from the "
          "data, and the passphrase apart from both")
    return 0


def cmd_restore(system: Any, args: argparse.Namespace) -> int:
    from gridflow.backup import restore_backup

    config = system.config
    database = args.database or (config.event_store_url if config.event_store_url.startswith("postgres") else None)
    restored = restore_backup(args.dir, args.into, passphrase(confirm=False), database_url=database,
                              keys_from=args.keys)
    store = "GRIDFLOW_EVENT_STORE=<that database> " if database else ""
    print(f"restored into {args.into}: notifications up to #{restored['notification_head']}, "
          f"{restored['person_keys']} person keys, chain intact to #{restored['chain_head']['position']} "
          f"(+{restored['chained_now']} chained now); keys in {args.into / 'keys'}")
    print(f"next: GRIDFLOW_DATA_DIR={args.into} {store}GRIDFLOW_REFERENCE_DIR={args.into / 'reference'} "
          "gridflow replay && … gridflow verify")
    return 0


def add_backup_commands(sub: Any) -> None:
    backup = sub.add_parser("backup", help="consistent copy of the event store, reference data and sealed keys")
    backup.add_argument("dir", type=Path, help="a new, empty directory for the backup")
    backup.add_argument("--keys-to", type=Path, help="write the sealed keys here instead, apart from the data")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="put a backup back into a new data directory (or empty database)")
    restore.add_argument("dir", type=Path, help="the backup directory")
    restore.add_argument("--into", type=Path, required=True, help="a new, empty data directory")
    restore.add_argument("--database", help="PostgreSQL backups: the empty database to restore into "
                                            "(default: GRIDFLOW_EVENT_STORE)")
    restore.add_argument("--keys", type=Path, help="the sealed key file, if kept apart (default: DIR/keys.enc)")
    restore.set_defaults(func=cmd_restore)
