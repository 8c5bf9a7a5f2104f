"""`gridflow backup` and `gridflow restore`: what cannot be rebuilt, copied consistently and put back.

A backup directory holds
- the event store, one point in time (gridflow.backup_stores): events, person keys, the intake ledger and the
  event chain — `events.sqlite` + `events.sqlite.chain`, or `events.pgdump`;
- `reference/`, the reference geography in force;
- `keys.enc`, the cipher and pseudonym keys, encrypted with a passphrase (scrypt, AES-256-GCM); `--keys-to`
  writes it elsewhere, so that keys and data are kept apart;
- `manifest.json`: every file with its size and sha256, the notification head and the event chain's head.
ClickHouse is not copied: its projections are disposable. After a restore `gridflow replay` rebuilds them and
`gridflow verify` checks the chain.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gridflow import backup_stores as stores
from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.reference import FILES as REFERENCE_FILES
from gridflow.reference import SHIPPED

FORMAT, KEYS_FORMAT = "gridflow-backup/1", "gridflow-backup-keys/1"
MANIFEST, KEYS_FILE, REFERENCE = "manifest.json", "keys.enc", "reference"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # ~32 MiB and ~0.1 s per try
MIN_PASSPHRASE = 12
DISTRICT_TZ = timezone(timedelta(hours=8))


# -- the keys, sealed with a passphrase -----------------------------------------------------------------------------
def _key_from(passphrase: str, salt: bytes, kdf: dict[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(passphrase.encode())


def seal_keys(keys: dict[str, str], passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise OperatorError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_key_from(passphrase, salt, SCRYPT)).encrypt(nonce, json.dumps(keys).encode(),
                                                                 KEYS_FORMAT.encode())
    salt_text, nonce_text, sealed_text = (base64.b64encode(raw).decode() for raw in (salt, nonce, sealed))
    return json.dumps({"format": KEYS_FORMAT, "kdf": {"name": "scrypt", **SCRYPT, "salt": salt_text},
                       "cipher": "AES-256-GCM", "nonce": nonce_text, "sealed": sealed_text}, indent=1).encode()


def open_keys(data: bytes, passphrase: str, path: Path) -> dict[str, str]:
    try:
        box = json.loads(data)
        assert box["format"] == KEYS_FORMAT
        salt = base64.b64decode(box["kdf"]["salt"])
        nonce, sealed = base64.b64decode(box["nonce"]), base64.b64decode(box["sealed"])
        key = _key_from(passphrase, salt, box["kdf"])
    except (ValueError, KeyError, TypeError, AssertionError):
        raise OperatorError(f"{path} is not a gridflow key file") from None
    try:
        return json.loads(AESGCM(key).decrypt(nonce, sealed, KEYS_FORMAT.encode()))
    except InvalidTag:
        raise OperatorError(f"wrong passphrase for {path} (or the file was altered)") from None


# -- files ----------------------------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: Path, root: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": _sha256(path)}


def _must_be_new(path: Path, what: str) -> None:
    """Refuse a target that holds anything: a backup or a restore never overwrites."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        held = sorted(p.name for p in path.iterdir())[:3] if path.is_dir() else []
        raise OperatorError(f"{what} {path} is not empty{' (' + ', '.join(held) + ', …)' if held else ''}: "
                            "choose a new one")


@contextmanager
def _undone_on_failure(*paths: Path) -> Iterator[None]:
    """Whatever of `paths` did not exist before is removed again if the work fails: a later run would find it
    not empty."""
    new = [p for p in paths if not p.exists()]
    try:
        yield
    except BaseException:
        for path in new:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


# -- backup ---------------------------------------------------------------------------------------------------------
def feed_keys(config: Config) -> dict[str, str]:
    """Each department's feed pseudonym key, kept in the data directory or given (GRIDFLOW_FEED_KEY_<DEPARTMENT>):
    a lost one would give that department new pseudonyms for everyone."""
    kept = {p.stem.removeprefix("feed-"): p.read_text().strip()
            for p in sorted((config.data_dir / "keys").glob("feed-*.key"))}
    given = {name.removeprefix("GRIDFLOW_FEED_KEY_").lower().replace("_", "-"): key
             for name, key in config.feed_keys.items()}
    return kept | given


def take_backup(system: Any, target: Path, passphrase: str, keys_to: Path | None = None) -> dict[str, Any]:
    """Copy the store, the reference data and the (sealed) keys into `target`; return the manifest."""
    config: Config = system.config
    _must_be_new(target, "the backup directory")
    keys_path = keys_to or target / KEYS_FILE
    if keys_to is not None and keys_to.exists():
        raise OperatorError(f"the key file {keys_to} exists already: choose a new name")
    sealed = seal_keys({"cipher_key": config.cipher_key, "pseudonym_key": config.pseudonym_key.decode(),
                        "feed_keys": feed_keys(config)}, passphrase)
    store = system.store  # opens the store and checks that the cipher key opens its events
    if store.recorder.max_notification_id() and any("pseudonym.key" in note for note in config.key_notes):
        raise OperatorError("GRIDFLOW_PSEUDONYM_KEY is not set: a pseudonym key was generated just now, and it "
                            "cannot be the one this store's pseudonyms were made with")
    with _undone_on_failure(target, keys_path):
        return _copy_all(config, store.recorder.events_table_name, target, keys_path, sealed, keys_to is not None)


def _copy_all(config: Config, events: str, target: Path, keys_path: Path, sealed: bytes, apart: bool
              ) -> dict[str, Any]:
    env = config.event_store_env()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)  # the store copy is encrypted, yet nobody else has business reading it
    if env["PERSISTENCE_MODULE"].endswith("sqlite"):
        files, heads = stores.backup_sqlite(Path(env["SQLITE_DBNAME"]), target, events)
        kind = "sqlite"
    else:
        files, heads = stores.backup_postgres(env, target, events)
        kind = "postgresql"
    source = config.reference_dir or SHIPPED
    (target / REFERENCE).mkdir()
    for name in REFERENCE_FILES:
        files.append(Path(shutil.copyfile(source / name, target / REFERENCE / name)))
    for copied in files:
        copied.chmod(0o600)
    _write_private(keys_path, sealed)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(DISTRICT_TZ).isoformat(timespec="seconds"),
        "store": {"kind": kind, "source": config.event_store_display, "events_table": events,
                  "pg_dump": stores.tool_version("pg_dump") if kind == "postgresql" else ""},
        **heads.as_dict(),
        "files": [_entry(f, target) for f in files],
        "reference_source": "shipped Penglai data" if config.reference_dir is None else str(source),
        "keys": {"file": "kept apart" if apart else KEYS_FILE, "sha256": _sha256(keys_path),
                 "kdf": "scrypt", "cipher": "AES-256-GCM", "holds": ["cipher_key", "pseudonym_key", "feed_keys"]},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


# -- restore --------------------------------------------------------------------------------------------------------
def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise OperatorError(f"{source} is not a gridflow backup (no readable {MANIFEST})") from None
    if manifest.get("format") != FORMAT:
        raise OperatorError(f"{source}: unknown backup format {manifest.get('format')!r}")
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.exists() or _sha256(path) != entry["sha256"]:
            raise OperatorError(f"{path} is missing or damaged (its sha256 differs from the manifest's)")
    return manifest


def restore_backup(source: Path, into: Path, passphrase: str, database_url: str | None = None,
                   keys_from: Path | None = None) -> dict[str, Any]:
    """Put a backup back into a new data directory (and, for PostgreSQL, an empty database); check that what was
    restored is what the manifest describes, then chain any events the backup held past the chain's head."""
    manifest = read_manifest(source)
    keys_path = keys_from or source / KEYS_FILE
    try:
        data = keys_path.read_bytes()
    except OSError as e:
        raise OperatorError(f"cannot read the key file {keys_path}: {e.strerror}") from None
    if hashlib.sha256(data).hexdigest() != manifest["keys"]["sha256"]:
        raise OperatorError(f"{keys_path} is not the key file of this backup")
    keys = open_keys(data, passphrase, keys_path)
    _must_be_new(into, "the data directory")
    postgres = manifest["store"]["kind"] == "postgresql"
    if postgres and not database_url:
        raise OperatorError("this backup is of a PostgreSQL store: give the empty database to restore into "
                            "(--database postgresql://user@host:5432/db)")
    if postgres:
        target = Config(data_dir=into, kafka_bootstrap=None, event_store_url=database_url, clickhouse_dsn="",
                        reference_dir=None, priority_categories=(), cipher_key=keys["cipher_key"]).event_store_env()
        if not target["PERSISTENCE_MODULE"].endswith("postgres"):
            raise OperatorError(f"{database_url.split('://')[0]}:// cannot take the backup of a PostgreSQL store")
        stores.check_empty(target)
    with _undone_on_failure(into):
        into.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(into / "keys" / "cipher.key", keys["cipher_key"].encode())
        _write_private(into / "keys" / "pseudonym.key", keys["pseudonym_key"].encode())
        for department, key in keys.get("feed_keys", {}).items():  # (backups before feed keys have none)
            _write_private(into / "keys" / f"feed-{department}.key", key.encode())
        shutil.copytree(source / REFERENCE, into / REFERENCE)
        events = manifest["store"]["events_table"]
        if postgres:
            stores.restore_postgres(source, target)
            heads = stores.postgres_heads(target, events)
        else:
            store = stores.restore_sqlite(source, into)
            heads = stores.sqlite_heads(store, Path(f"{store}{stores.CHAIN_SUFFIX}"), events)
    expected = {k: manifest[k] for k in ("notification_head", "person_keys", "chain_head")}
    if heads.as_dict() != expected:
        raise OperatorError(f"the restored store does not match the manifest: {heads.as_dict()} ≠ {expected}")
    return {**expected, "chained_now": _seal_chain(into, database_url if postgres else None)}


def _seal_chain(into: Path, database_url: str | None) -> int:
    """Chain the events the backup held past the chain's head, so the projector, which starts after a replay at
    the store's head, continues an unbroken chain."""
    from gridflow.bootstrap import bootstrap

    env = {"GRIDFLOW_DATA_DIR": str(into), "GRIDFLOW_REFERENCE_DIR": str(into / REFERENCE)}
    if database_url:
        env["GRIDFLOW_EVENT_STORE"] = database_url
    system = bootstrap(Config.from_env(env))
    try:
        return system.chain.seal()
    finally:
        system.close()
