"""Configuration from the environment (documented in README, "Configuration")."""
from __future__ import annotations

import os
import secrets
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from domain.application import DEFAULT_PRIORITY_CATEGORIES


@dataclass
class Config:
    data_dir: Path
    kafka_bootstrap: str | None  # None: start the embedded Tansu broker
    event_store_url: str
    clickhouse_dsn: str
    reference_dir: Path | None
    priority_categories: tuple[str, ...]
    clickhouse_database: str = "gridflow"
    batch_size: int = 500
    projector_batch_size: int = 5000
    cipher_key: str = field(default="", repr=False)
    pseudonym_key: bytes = field(default=b"", repr=False)
    key_notes: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Config":
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("GRIDFLOW_DATA_DIR", ".gridflow")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
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
            batch_size=int(env.get("GRIDFLOW_BATCH_SIZE", "500")),
            projector_batch_size=int(env.get("GRIDFLOW_PROJECTOR_BATCH_SIZE", "5000")),
        )
        config.cipher_key = env.get("GRIDFLOW_CIPHER_KEY") or config._kept_key("cipher.key", 32)
        pseudonym = env.get("GRIDFLOW_PSEUDONYM_KEY") or config._kept_key("pseudonym.key", 32)
        config.pseudonym_key = pseudonym.encode()
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
        url = urlparse(self.event_store_url)
        if url.scheme == "sqlite":
            path = Path(unquote(url.path))
            path.parent.mkdir(parents=True, exist_ok=True)
            env.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=str(path))
        elif url.scheme in ("postgresql", "postgres"):
            env.update(PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=url.path.lstrip("/"),
                       POSTGRES_HOST=url.hostname or "127.0.0.1", POSTGRES_PORT=str(url.port or 5432),
                       POSTGRES_USER=unquote(url.username or ""), POSTGRES_PASSWORD=unquote(url.password or ""))
        else:
            raise ValueError(f"GRIDFLOW_EVENT_STORE must be sqlite:///… or postgresql://…, not {url.scheme}://")
        return env
