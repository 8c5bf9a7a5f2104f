"""`gridflow` command line: thin entrypoints over the composition root. The configuration is read once and wired
once (`bootstrap`); every command gets that object. An operator's mistake or an unreachable server is one line
naming the cause and a non-zero exit, never a traceback (the details of anything unexpected go to a log file)."""
from __future__ import annotations

import argparse
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridflow import cli_accounts, cli_intake, cli_services
from gridflow.bootstrap import bootstrap
from gridflow.cli_backup import add_backup_commands
from gridflow.cli_grafana import add_grafana_commands
from gridflow.config import Config
from gridflow.errors import ClickHouseBusy, OperatorError, first_line
from gridflow.relay import relay_to_server


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cli_intake.add_commands(sub)
    cli_services.add_commands(sub)
    cli_accounts.add_commands(sub)
    add_backup_commands(sub)
    add_grafana_commands(sub)
    from gridflow import cli_feeds, cli_import

    cli_import.add_commands(sub)
    cli_feeds.add_commands(sub)
    from benchmarks.cli import add_bench_commands

    add_bench_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env()
    except OperatorError as e:
        print(f"gridflow {args.command}: {e}", file=sys.stderr)
        return 2
    log_to_file(config, args.command)
    system = bootstrap(config)
    try:
        return run(system, args, relay=lambda busy: relay_to_server(config, sys.argv[1:] if argv is None else argv,
                                                                    busy))
    finally:
        system.close()


def run(system: Any, args: argparse.Namespace, relay: Any = None) -> int:
    """Run one parsed command on a wired system; every failure becomes one line and an exit code."""
    name = f"gridflow {args.command}"
    try:
        return args.func(system, args)
    except ClickHouseBusy as busy:
        if relay is not None and getattr(args, "relayable", False):
            return relay(busy)
        print(f"{name}: {busy}", file=sys.stderr)
        return 2
    except OperatorError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        log = unexpected(system.config, e)
        print(f"{name}: unexpected error: {type(e).__name__}: {first_line(e)} (details in {log})", file=sys.stderr)
        return 1


SERVICES = ("worker", "serve", "project")  # long-running: their logs go to the terminal (a container's output)


def log_to_file(config: Config, command: str) -> None:
    """Libraries log warnings of their own (a driver's retry, a broker reconnecting); an operator's terminal gets
    our one line, the details go to the data directory's log. Services log to their output as usual."""
    if command in SERVICES:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        return
    path = config.data_dir / "logs" / "gridflow.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=path, level=logging.WARNING,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    except OSError:
        logging.basicConfig(level=logging.CRITICAL)


def unexpected(config: Config, error: BaseException) -> Path:
    """Keep the whole story in a log file; the operator's terminal gets one line."""
    path = config.data_dir / "logs" / "gridflow.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as log:
            log.write(f"{datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        logging.getLogger("gridflow").exception("unexpected error")
    return path


if __name__ == "__main__":
    sys.exit(main())
