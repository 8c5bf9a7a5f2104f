"""`gridflow` commands of the read side and the services: replay, verify, as-of, report, serve, kpi, health, audit.
Read-side commands are `relayable`: while `gridflow serve` (or the demo's page) holds the embedded ClickHouse,
they run through the running server instead (gridflow.relay)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridflow.bootstrap import Gridflow
from gridflow.cli_args import PORT, SECONDS, aware_datetime, iso_date
from gridflow.errors import OperatorError
from gridflow.pipeline import progress


def cmd_replay(system: Gridflow, args: argparse.Namespace) -> int:
    """Rebuild every projection from the event store beside the live tables; swap them in, or --check."""
    from projections.replay import compare, rebuild, swap_in

    database = system.config.clickhouse_database
    side = f"{database}_replay"
    result = rebuild(system.clickhouse, system.store, system.geography, side, progress)
    progress(f"replayed {result.notifications} notifications in {result.seconds:.1f} s "
             f"({result.rate:,.0f}/s) into {side}", final=True)
    if not args.check:
        swap_in(system.clickhouse, database, side)
        print(f"swapped the rebuilt tables into {database}")
        return 0
    diffs = compare(system.clickhouse, database, side)
    print(f"{'table':<22}{'live rows':>11}{'replay rows':>13}{'only live':>11}{'only replay':>13}  result")
    for d in diffs:
        print(f"{d.table:<22}{d.live_rows:>11}{d.replay_rows:>13}{d.only_live:>11}{d.only_replay:>13}  "
              f"{'same' if d.equal else 'DIFFERENT'}")
    different = [d.table for d in diffs if not d.equal]
    print(f"replay --check: {'differences in ' + ', '.join(different) if different else 'no difference'}")
    return 1 if different else 0


def cmd_verify(system: Gridflow, args: argparse.Namespace) -> int:
    """Recompute the event log's hash chain from the start; name the first position that does not match."""
    from projections.queries import chain_anchors

    chain = system.chain
    if args.seal:
        print(f"chained {chain.seal()} stored events past the head", file=sys.stderr)
    anchors = {} if args.no_anchors else chain_anchors(system.clickhouse)
    verdict = chain.verify(lambda n: progress(f"verified {n} positions"), anchors)
    head_id, head_digest = verdict.head
    if verdict.intact:
        print(f"intact: {verdict.checked} positions chained up to #{head_id}, head {head_digest.hex()}; "
              f"{len(anchors)} ClickHouse anchor(s) agree; {verdict.unchained} newer events not chained yet")
        return 0
    print(f"TAMPERED at position #{verdict.first_mismatch}: {verdict.why} "
          f"({verdict.checked} positions before it verified)")
    return 1


def cmd_as_of(system: Gridflow, args: argparse.Namespace) -> int:
    """State at a business time, as known at a recording time, computed from the event store (audits)."""
    from projections.as_of import area_state, person_state

    geo = system.geography
    known_at = args.known_at or datetime.now(UTC)
    step = lambda n: progress(f"read {n} stored events")  # noqa: E731
    if args.person_pseudonym:
        record_operator_read(system, f"person {args.person_pseudonym}", args.reason)
        state: Any = person_state(system.store, geo, args.person_pseudonym, args.at, known_at, step)
    else:
        if (args.grid and args.grid not in geo.grids) or (args.town and args.town not in geo.towns):
            raise OperatorError(f"unknown {'grid' if args.grid else 'town'}: {args.grid or args.town}")
        state = area_state(system.store, geo, args.at, known_at, grid=args.grid, town=args.town, progress=step)
    print(json.dumps(dataclasses.asdict(state), ensure_ascii=False, indent=2, default=str))
    return 0


def record_operator_read(system: Gridflow, resource: str, reason: str | None) -> None:
    """A person's whereabouts read at the terminal: with a stated reason, in the access log like the API's reads
    (the account is the operator's login)."""
    import getpass

    from domain.alert_desk import AlertDesk

    if len((reason or "").strip()) < 5:
        raise OperatorError("--person-pseudonym needs --reason: why you look (recorded in the access log)")
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no user entry (a container): the uid still names who
        operator = f"uid {os.getuid()}"
    AlertDesk(system.store).record_access(at=datetime.now(UTC), account=operator, role="operator",
                                          action="as-of person", resource=resource, allowed=True,
                                          reason=reason.strip())


def cmd_report(system: Gridflow, args: argparse.Namespace) -> int:
    """Planner's season report: PNG plots and an HTML page."""
    from reports.season import write_report

    if args.start > args.end:
        raise OperatorError(f"--from {args.start} is after --to {args.end}")
    if args.town and args.town not in system.geography.towns:
        raise OperatorError(f"unknown town: {args.town}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OperatorError(f"cannot create {args.out}: {e.strerror or e}") from None
    page = write_report(system.clickhouse, system.geography, args.start, args.end, args.out, town=args.town,
                        capacity_scale=args.capacity_scale)
    print(f"report written: {page}")
    return 0


def cmd_serve(system: Gridflow, args: argparse.Namespace) -> int:
    """API + page, the built-in evaluator and the projector in this process; the worker runs apart."""
    from gridflow.serving import serve_until_stopped

    serve_until_stopped(system, host=args.host, port=args.port, every_s=args.every, clock=args.clock,
                        capacity_scale=args.capacity_scale, project=args.project)
    return 0


def cmd_kpi(system: Gridflow, args: argparse.Namespace) -> int:
    """Governance KPIs per grid, town or the district."""
    from projections.alert_queries import kpis

    geo = system.geography
    if (args.grid and args.grid not in geo.grids) or (args.town and args.town not in geo.towns):
        raise OperatorError(f"unknown {'grid' if args.grid else 'town'}: {args.grid or args.town}")
    grids = (args.grid,) if args.grid else tuple(geo.grids_of_town(args.town)) if args.town else None
    now = args.at or datetime.now(UTC)
    print(json.dumps({"scope": args.grid or args.town or "district", "at": now.isoformat(),
                      **kpis(system.clickhouse, grids, now)}, indent=2))
    return 0


def cmd_health(system: Gridflow, args: argparse.Namespace) -> int:
    """The operations alert rules, checked once: 1 when any of them holds (for cron or a monitoring agent)."""
    from alerting.operations import OPERATIONS_RULES

    now = args.at or datetime.now(UTC)
    firing = 0
    for rule in OPERATIONS_RULES:
        found = rule.firing(system.clickhouse, now)
        firing += bool(found)
        print(f"{rule.title}（{rule.id}）：{'触发 FIRING' if found else '正常 OK'}")
        for summary in found:
            print(f"  {summary}")
    print(f"health: {firing} of {len(OPERATIONS_RULES)} operations rules firing at {now.isoformat()}",
          file=sys.stderr)
    return 1 if firing else 0


def cmd_audit(system: Gridflow, args: argparse.Namespace) -> int:
    """Who read person-level data or was denied, when and why."""
    from projections.alert_queries import access_log

    entries = access_log(system.clickhouse, args.since)
    for e in entries:
        print(f"{e['at']}  {'allowed' if e['allowed'] else 'DENIED ':<7}  {e['account']:<10} {e['role']:<12} "
              f"{e['action']:<16} {e['resource']}  — {e['reason']}")
    print(f"{len(entries)} entries since {args.since.isoformat()}", file=sys.stderr)
    return 0


def add_commands(sub: Any) -> None:
    def relayable(parser: argparse.ArgumentParser, func: Any) -> None:
        parser.set_defaults(func=func, relayable=True)

    replay = sub.add_parser("replay", help="rebuild every projection from the event store and swap it in")
    replay.add_argument("--check", action="store_true",
                        help="rebuild beside the live tables and report differences table by table (exit 1 if any)")
    replay.set_defaults(func=cmd_replay)
    relayable(replay, cmd_replay)
    verify = sub.add_parser("verify", help="check the event log's hash chain; names the first position that fails")
    verify.add_argument("--seal", action="store_true", help="first chain stored events not chained yet")
    verify.add_argument("--no-anchors", action="store_true", help="do not compare with the anchors in ClickHouse")
    relayable(verify, cmd_verify)
    as_of = sub.add_parser("as-of", help="state at a point in business time, computed from the event store")
    as_of.add_argument("--at", type=aware_datetime, required=True, help="business time, ISO 8601 (local if naive)")
    as_of.add_argument("--known-at", type=aware_datetime,
                       help="only what the system had recorded by then (default: now, everything known)")
    what = as_of.add_mutually_exclusive_group(required=True)
    what.add_argument("--grid")
    what.add_argument("--town")
    what.add_argument("--person-pseudonym")
    as_of.add_argument("--reason", help="why (needed with --person-pseudonym; recorded in the access log)")
    as_of.set_defaults(func=cmd_as_of)
    report = sub.add_parser("report", help="planner reports (PNG plots and an HTML page)")
    report_sub = report.add_subparsers(dest="report", required=True)
    season = report_sub.add_parser("season", help="seasonal load against carrying capacity")
    season.add_argument("--from", dest="start", type=iso_date, required=True)
    season.add_argument("--to", dest="end", type=iso_date, required=True)
    season.add_argument("--town", help="one town/street code (default: all)")
    season.add_argument("--out", type=Path, required=True, help="directory for the plots and index.html")
    season.add_argument("--capacity-scale", type=float, default=1.0,
                        help="multiply capacities (for simulated data: the simulation's --scale)")
    relayable(season, cmd_report)
    serve = sub.add_parser("serve", help="the API and grid-worker page, the alert evaluator and the projector")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=PORT, default=8080)
    serve.add_argument("--every", type=SECONDS, default=1.0, help="seconds between evaluation rounds")
    serve.add_argument("--clock", choices=["wall", "data"], default="wall",
                       help="business time: the wall clock, or the latest fact (simulated seasons)")
    serve.add_argument("--capacity-scale", type=float, default=1.0, help="for simulated data: its --scale")
    serve.add_argument("--project", action=argparse.BooleanOptionalAction, default=True,
                       help="also run the projector here (default; --no-project when a projector service runs)")
    serve.set_defaults(func=cmd_serve)
    kpi = sub.add_parser("kpi", help="governance KPIs per grid, town or district")
    kpi_scope = kpi.add_mutually_exclusive_group()
    kpi_scope.add_argument("--grid")
    kpi_scope.add_argument("--town")
    kpi.add_argument("--at", type=aware_datetime, help="business time (default: now)")
    relayable(kpi, cmd_kpi)
    health = sub.add_parser("health", help="check the operations alert rules once (exit 1 when one holds)")
    health.add_argument("--at", type=aware_datetime, help="evaluation time, ISO 8601 (default: now)")
    relayable(health, cmd_health)
    audit = sub.add_parser("audit", help="the access audit")
    audit_sub = audit.add_subparsers(dest="audit", required=True)
    audit_access = audit_sub.add_parser("access", help="reads of person-level data and denials")
    audit_access.add_argument("--since", type=aware_datetime, required=True)
    relayable(audit_access, cmd_audit)
