"""`gridflow grafana export|push|preview`: Grafana as code (dashboards/). Export writes the files docker-compose
provisions; push upserts the same objects over Grafana's HTTP API; preview draws each dashboard from the very same
SQL on our ClickHouse. Failures are one line (an unreachable Grafana, a refused token), never a traceback."""
from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from gridflow.cli_args import aware_datetime
from gridflow.errors import OperatorError


def cmd_export(system: Any, args: argparse.Namespace) -> int:
    from dashboards.catalogue import export

    try:
        written = export(args.dir)
    except OSError as e:
        raise OperatorError(f"cannot write into {args.dir}: {e.strerror or e}") from None
    boards = sum(1 for path in written if path.suffix == ".json")
    print(f"gridflow grafana export: {boards} dashboards and {len(written) - boards} provisioning files in {args.dir}")
    return 0


def cmd_push(system: Any, args: argparse.Namespace) -> int:
    from dashboards.push import OPERATIONS_URL, PushFailed, push
    from gridflow.secret_files import secret_value
    from gridflow.serving import webhook_token

    token = args.token or secret_value(os.environ, "GRAFANA_TOKEN")
    if not token:
        raise OperatorError("give a Grafana service-account token: --token, GRAFANA_TOKEN or GRAFANA_TOKEN_FILE")
    env = {**os.environ, "CLICKHOUSE_PASSWORD": secret_value(os.environ, "CLICKHOUSE_PASSWORD") or "",
           "GRIDFLOW_WEBHOOK_TOKEN": webhook_token(system.config),
           OPERATIONS_URL: secret_value(os.environ, OPERATIONS_URL) or ""}
    try:
        changes = push(args.url.rstrip("/"), token, env, dry_run=args.dry_run)
    except PushFailed as e:
        raise OperatorError(str(e)) from None
    changed = sum(c.action != "unchanged" for c in changes)
    verb = "would change" if args.dry_run else "changed"
    print(f"gridflow grafana push: {verb} {changed} of {len(changes)} objects at {args.url}")
    return 0


def cmd_preview(system: Any, args: argparse.Namespace) -> int:
    from dashboards.preview import CannotPreview, render_all

    chosen = dict(_pair(v) for v in args.var)
    if args.capacity_scale != 1.0:  # beds and capacities at a simulated season's scale, as serve's evaluator does
        from projections.reference_tables import sync_reference_tables

        sync_reference_tables(system.clickhouse, system.geography, args.capacity_scale)
    try:
        written = render_all(system.clickhouse, args.dir, start=args.start, end=args.end, chosen=chosen,
                             span=timedelta(days=args.days))
    except CannotPreview as e:
        raise OperatorError(str(e)) from None
    for path in written:
        print(path)
    return 0


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise OperatorError(f"--var takes NAME=VALUE, not {text!r}")
    return name, value


def add_grafana_commands(subparsers: Any) -> None:
    grafana = subparsers.add_parser("grafana", help="dashboards and alert rules as code: export, push, preview")
    commands = grafana.add_subparsers(dest="grafana_command", required=True)
    export = commands.add_parser("export", help="write the dashboards (JSON) and Grafana's provisioning files")
    export.add_argument("dir", type=Path)
    export.set_defaults(func=cmd_export)
    push = commands.add_parser("push", help="upsert folders, datasource, dashboards, alert rules, contact point "
                                            "and policy over Grafana's HTTP API")
    push.add_argument("--url", required=True, help="Grafana's address, e.g. http://grafana:3000")
    push.add_argument("--token", help="a service-account token with the Admin role (or GRAFANA_TOKEN[_FILE])")
    push.add_argument("--dry-run", action="store_true", help="only read, and print what would change")
    push.set_defaults(func=cmd_push)
    preview = commands.add_parser("preview", help="draw each dashboard's panels as PNG from the same SQL on "
                                                  "our ClickHouse")
    preview.add_argument("dir", type=Path)
    preview.add_argument("--capacity-scale", type=float, default=1.0, help="for simulated data: its --scale")
    preview.add_argument("--from", dest="start", type=aware_datetime,
                         help="start of the time range (default: --days before its end)")
    preview.add_argument("--to", dest="end", type=aware_datetime,
                         help="end of the time range (default: the latest fact, or for the intake dashboard the "
                              "latest recording)")
    preview.add_argument("--days", type=float, default=7, help="length of the default time range")
    preview.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                         help="a dashboard variable's value (default: All, or its first option)")
    preview.set_defaults(func=cmd_preview, relayable=False)
