"""Configuration from the environment (documented in README, "Configuration")."""
from __future__ import annotations

import os
import secrets
from base64 import b64decode, b64encode
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from domain.application import DEFAULT_PRIORITY_CATEGORIES
from gridflow.errors import OperatorError
from gridflow.secret_files import secret_value, with_secret_files


def _int(env: dict[str, str], name: str, default: int, low: int = 1, high: int = 1_000_000) -> int:
    text = env.get(name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise OperatorError(f"{name} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise OperatorError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OperatorError(f"GRIDFLOW_TIMEZONE: {name!r} is not a time zone (e.g. Asia/Shanghai)") from None
    return name


@dataclass
class Config:
    data_dir: Path
    kafka_bootstrap: str | None  # None: start the embedded Tansu broker
    event_store_url: str
    clickhouse_dsn: str
    reference_dir: Path | None
    priority_categories: tuple[str, ...]
    clickhouse_database: str = "gridflow"
    batch_size: int = 2000
    projector_batch_size: int = 5000
    cipher_key: str = field(default="", repr=False)
    pseudonym_key: bytes = field(default=b"", repr=False)
    key_notes: list[str] = field(default_factory=list)
    accounts: Path | None = None
    feed_keys: dict[str, str] = field(default_factory=dict, repr=False)  # GRIDFLOW_FEED_KEY_<DEPARTMENT>
    timezone: str = "Asia/Shanghai"  # the district's: what people read times in (the page, the API's answers)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = with_secret_files(os.environ if env is None else env)  # NAME or NAME_FILE (Docker secrets)
        data_dir = Path(env.get("GRIDFLOW_DATA_DIR", ".gridflow")).resolve()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OperatorError(f"cannot create the data directory {data_dir} (GRIDFLOW_DATA_DIR): "
                                f"{e.strerror or e}") from None
        config = cls(
            data_dir=data_dir,
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            event_store_url=env.get("GRIDFLOW_EVENT_STORE", cls.default_event_store(data_dir)),
            clickhouse_dsn=env.get("GRIDFLOW_CLICKHOUSE", cls.default_clickhouse(data_dir)),
            reference_dir=Path(env["GRIDFLOW_REFERENCE_DIR"]) if env.get("GRIDFLOW_REFERENCE_DIR") else None,
            priority_categories=tuple(
                s.strip() for s in env.get("GRIDFLOW_PRIORITY_CATEGORIES", ",".join(DEFAULT_PRIORITY_CATEGORIES))
                .split(",") if s.strip()),
            clickhouse_database=env.get("GRIDFLOW_CLICKHOUSE_DATABASE", "gridflow"),
            batch_size=_int(env, "GRIDFLOW_BATCH_SIZE", 2000, high=10_000),
            projector_batch_size=_int(env, "GRIDFLOW_PROJECTOR_BATCH_SIZE", 5000, high=200_000),
            accounts=Path(env["GRIDFLOW_ACCOUNTS"]) if env.get("GRIDFLOW_ACCOUNTS") else None,
            timezone=_timezone(env.get("GRIDFLOW_TIMEZONE", "Asia/Shanghai")),
        )
        config.cipher_key = env.get("GRIDFLOW_CIPHER_KEY") or config._kept_key("cipher.key", 32)
        pseudonym = env.get("GRIDFLOW_PSEUDONYM_KEY") or config._kept_key("pseudonym.key", 32)
        config.pseudonym_key = pseudonym.encode()
        feed_keys = {k.removesuffix("_FILE") for k in env if k.startswith("GRIDFLOW_FEED_KEY_")}
        config.feed_keys = {k: v for k in feed_keys if (v := secret_value(env, k))}  # NAME or NAME_FILE
        if len(config.pseudonym_key) < 16:
            raise OperatorError("GRIDFLOW_PSEUDONYM_KEY must be at least 16 characters")
        return config

    @staticmethod
    def default_event_store(data_dir: Path) -> str:
        return f"sqlite://{data_dir}/events.sqlite"  # data_dir is absolute: sqlite:///abs/path

    @staticmethod
    def default_clickhouse(data_dir: Path) -> str:
        return f"chdb://{data_dir}/clickhouse"

    def uses_default_stores(self) -> bool:
        return (self.event_store_url == self.default_event_store(self.data_dir)
                and self.clickhouse_dsn == self.default_clickhouse(self.data_dir))

    @property
    def accounts_file(self) -> Path:
        """The API's accounts (GRIDFLOW_ACCOUNTS; the demo seeds <data dir>/accounts.json)."""
        return self.accounts or self.data_dir / "accounts.json"

    def feed_key(self, department: str) -> bytes:
        """The HMAC key of one department's feed pseudonyms (computed over the store-wide pseudonym): a key per
        feed, so two departments cannot join their feeds on a person without an authorised re-keying."""
        name = "GRIDFLOW_FEED_KEY_" + department.upper().replace("-", "_")
        key = (self.feed_keys.get(name) or self._kept_key(f"feed-{department}.key", 32)).encode()
        if len(key) < 16:
            raise OperatorError(f"{name} must be at least 16 characters")
        return key

    def kept_secret(self, filename: str) -> str:
        """A secret generated once for this data directory (e.g. the Grafana webhook token)."""
        return self._kept_key(filename, 24)

    def _kept_key(self, filename: str, num_bytes: int) -> str:
        """A key generated once for this data directory and kept beside it (mode 0600); production passes
        keys by environment from a secret store instead."""
        path = self.data_dir / "keys" / filename
        if not path.exists():
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(b64encode(secrets.token_bytes(num_bytes)).decode())
            self.key_notes.append(f"generated {filename} at {path}")
        return path.read_text().strip()

    def event_store_env(self) -> dict[str, str]:
        """eventsourcing settings for the Population application (encrypted at rest with AES-GCM)."""
        env = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": self.cipher_key}
        self.check_cipher_key()
        url = urlparse(self.event_store_url)
        if url.scheme == "sqlite":
            path = Path(unquote(url.path))
            path.parent.mkdir(parents=True, exist_ok=True)
            env.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=str(path))
        elif url.scheme in ("postgresql", "postgres"):
            env.update(PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=url.path.lstrip("/"),
                       POSTGRES_HOST=url.hostname or "127.0.0.1", POSTGRES_PORT=str(url.port or 5432),
                       POSTGRES_USER=unquote(url.username or ""), POSTGRES_PASSWORD=unquote(url.password or ""),
                       # give up on an unreachable server within seconds; after a restart, pooled connections
                       # are checked before use instead of failing the next transaction
                       POSTGRES_CONNECT_TIMEOUT="5", POSTGRES_PRE_PING="y")
        else:
            raise OperatorError(f"GRIDFLOW_EVENT_STORE must be sqlite:///… or postgresql://…, not {url.scheme}://")
        return env

    def check_cipher_key(self) -> None:
        try:
            key = b64decode(self.cipher_key, validate=True)
        except ValueError:
            key = b""
        if len(key) not in (16, 24, 32):
            raise OperatorError("GRIDFLOW_CIPHER_KEY must be a base64 AES key of 16, 24 or 32 bytes")

    @property
    def event_store_display(self) -> str:
        """The store's URL without its password (for messages and logs)."""
        return _without_password(self.event_store_url)

    @property
    def clickhouse_display(self) -> str:
        return _without_password(self.clickhouse_dsn)


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return url.replace(f":{parsed.password}@", ":***@", 1)
