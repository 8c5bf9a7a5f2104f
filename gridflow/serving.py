"""`gridflow serve`: the API and the page, the built-in evaluator and the projector in one process (the one
that owns embedded ClickHouse); the intake worker runs in its own."""
from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.alert_desk import AlertDesk
from domain.geography import Geography
from gridflow.accounts import Accounts, demo_accounts
from gridflow.api import Services, create_app, wall_clock
from gridflow.config import Config


def accounts_path(config: Config) -> Path:
    return Path(os.environ.get("GRIDFLOW_ACCOUNTS", config.data_dir / "accounts.json"))


def load_or_seed_accounts(config: Config, geo: Geography, client: Any, lock: threading.Lock) -> Accounts:
    """Configured accounts, or demo accounts seeded around the grid with the most open alerts."""
    path = accounts_path(config)
    if path.exists():
        return Accounts.load(path)
    with lock:
        busiest = client.query("SELECT grid_code FROM alerts_current WHERE status = 'open' AND grid_code != '' "
                               "GROUP BY grid_code ORDER BY count() DESC LIMIT 1").result_rows
    accounts = demo_accounts(geo, busiest[0][0] if busiest else sorted(geo.current_grids())[0])
    accounts.save(path)
    return accounts


def webhook_token(config: Config) -> str:
    return os.environ.get("GRIDFLOW_WEBHOOK_TOKEN") or config.kept_secret("webhook.token")


def make_services(config: Config, population: Any, client: Any, geo: Geography,
                  clock: Callable[[], datetime] = wall_clock, lock: threading.Lock | None = None) -> Services:
    lock = lock or threading.Lock()
    return Services(AlertDesk(population), client, geo, load_or_seed_accounts(config, geo, client, lock), clock,
                    webhook_token(config), lock)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(services: Services, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The API in a thread of this process; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="gridflow-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def print_accounts(accounts: Accounts, url: str) -> None:
    print(f"\ngrid-worker page: {url}/   (API docs: {url}/docs)")
    print("demo accounts (log in with the token):")
    for account in accounts.by_name.values():
        print(f"  {account.name:<9} {account.role:<12} {account.token}   {account.display}")
