"""`gridflow serve`: the API and the page, the built-in evaluator and the projector in one process (the one that
owns embedded ClickHouse); the intake worker runs in its own. While it runs it answers relayed read-side commands
for its data directory (gridflow.relay)."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime

from domain.alert_desk import AlertDesk
from gridflow.accounts import Accounts
from gridflow.api import Services, create_app, wall_clock
from gridflow.bootstrap import Gridflow
from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.relay import authorised, registered, run_here
from gridflow.secret_files import secret_value


def load_accounts(config: Config) -> Accounts:
    path = config.accounts_file
    if not path.is_file():
        raise OperatorError(f"no accounts file at {path} (GRIDFLOW_ACCOUNTS): create one with "
                            "`gridflow accounts add NAME --role ROLE ...` (see `gridflow accounts --help`)")
    try:
        return Accounts.load(path)
    except (OSError, ValueError, TypeError) as e:
        raise OperatorError(f"the accounts file {path} cannot be read: {e}") from None


def webhook_token(config: Config) -> str:
    return secret_value(os.environ, "GRIDFLOW_WEBHOOK_TOKEN") or config.kept_secret("webhook.token")


def make_services(system: Gridflow, accounts: Accounts, clock: Callable[[], datetime] = wall_clock,
                  lock: threading.RLock | None = None) -> Services:
    from gridflow.accounts import token_hash

    return Services(AlertDesk(system.store), system.clickhouse, system.geography, accounts, clock,
                    token_hash(webhook_token(system.config)), lock or threading.RLock(),
                    relay=lambda argv: run_here(system, argv),
                    relay_authorised=lambda header: authorised(system.config, header),
                    timezone=system.config.timezone)


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
            raise OperatorError(f"the API did not start on {host}:{port} (is the port in use?)")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running(system: Gridflow, services: Services, *, host: str, port: int, every_s: float, capacity_scale: float,
            project: bool) -> Iterator[str]:
    """Projector (optional), evaluator and API in this process, registered for relayed commands."""
    from gridflow.evaluator import Evaluator, evaluating
    from gridflow.pipeline import following

    evaluator = Evaluator(services.desk, services.client, services.geography, services.clock, capacity_scale,
                          lock=services.lock)
    with ExitStack() as stack:
        if project:
            stack.enter_context(following(system.projector, recover=True))
        stack.enter_context(evaluating(evaluator, every_s))
        url = stack.enter_context(serving(services, host, port))
        local = url if host not in ("0.0.0.0", "::") else f"http://127.0.0.1:{port}"
        stack.enter_context(registered(system.config, local))
        yield url


def serve_until_stopped(system: Gridflow, *, host: str, port: int, every_s: float, clock: str,
                        capacity_scale: float, project: bool) -> None:
    from gridflow.evaluator import data_clock

    accounts = load_accounts(system.config)
    lock = threading.RLock()
    services = make_services(system, accounts, data_clock(system.clickhouse, lock) if clock == "data"
                             else wall_clock, lock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running(system, services, host=host, port=port, every_s=every_s, capacity_scale=capacity_scale,
                 project=project) as url:
        print(f"gridflow serve: {url}/ (API docs {url}/docs); {len(accounts.by_name)} accounts", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


def print_accounts(tokens: dict[str, str], accounts: Accounts, url: str) -> None:
    """The demo's accounts with their tokens: shown once here, stored only as hashes."""
    print(f"\ngrid-worker page: {url}/   (API docs: {url}/docs)")
    print("demo accounts (log in with the token; shown once, kept only as hashes):")
    for name, token in tokens.items():
        account = accounts.by_name[name]
        print(f"  {account.name:<9} {account.role:<12} {token}   {account.display}")


def demo_services(system: Gridflow, clock: Callable[[], datetime], lock: threading.RLock
                  ) -> tuple[Services, dict[str, str]]:
    """The demo seeds one account per role around its busiest grid (re-seeded every run)."""
    from gridflow.accounts import demo_accounts
    from projections.alert_queries import busiest_grid

    with lock:
        grid = busiest_grid(system.clickhouse) or sorted(system.geography.current_grids())[0]
    accounts, tokens = demo_accounts(system.geography, grid)
    accounts.save(system.config.accounts_file)
    return make_services(system, accounts, clock, lock), tokens
