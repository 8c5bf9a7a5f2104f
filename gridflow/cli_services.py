"""`gridflow` commands of the read side and the services: replay, verify, as-of, report, serve, kpi, audit,
sweep-stays (the parser lives in gridflow.cli)."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from gridflow.config import Config

def cmd_replay(args: argparse.Namespace) -> int:
    """Rebuild every projection from the event store beside the live tables; swap them in, or --check."""
    from gridflow import bootstrap
    from gridflow.pipeline import progress
    from projections.replay import compare, rebuild, swap_in

    config = Config.from_env()
    geo = bootstrap.geography(config)
    store = bootstrap.population(config, geo)
    live = bootstrap.clickhouse(config)
    side = f"{config.clickhouse_database}_replay"
    result = rebuild(live, store, geo, side, progress)
    progress(f"replayed {result.notifications} notifications in {result.seconds:.1f} s "
             f"({result.rate:,.0f}/s) into {side}", final=True)
    if not args.check:
        swap_in(live, config.clickhouse_database, side)
        print(f"swapped the rebuilt tables into {config.clickhouse_database}")
        return 0
    diffs = compare(live, config.clickhouse_database, side)
    print(f"{'table':<22}{'live rows':>11}{'replay rows':>13}{'only live':>11}{'only replay':>13}  result")
    for d in diffs:
        print(f"{d.table:<22}{d.live_rows:>11}{d.replay_rows:>13}{d.only_live:>11}{d.only_replay:>13}  "
              f"{'same' if d.equal else 'DIFFERENT'}")
    different = [d.table for d in diffs if not d.equal]
    print(f"replay --check: {'differences in ' + ', '.join(different) if different else 'no difference'}")
    return 1 if different else 0

def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute the event log's hash chain from the start; name the first position that does not match."""
    from domain.chain import EventChain
    from gridflow import bootstrap
    from gridflow.pipeline import progress

    config = Config.from_env()
    store = bootstrap.population(config)
    chain = EventChain(store.recorder)
    if args.seal:
        print(f"chained {chain.seal()} stored events past the head", file=sys.stderr)
    anchors = {}
    if not args.no_anchors:
        client = bootstrap.clickhouse(config)
        anchors = {int(p): bytes.fromhex(d) for p, d in client.query(
            "SELECT position, chain_digest FROM projection_position WHERE chain_digest != ''").result_rows}
    verdict = chain.verify(lambda n: progress(f"verified {n} positions"), anchors)
    head_id, head_digest = verdict.head
    if verdict.intact:
        print(f"intact: {verdict.checked} positions chained up to #{head_id}, head {head_digest.hex()}; "
              f"{len(anchors)} ClickHouse anchor(s) agree; {verdict.unchained} newer events not chained yet")
        return 0
    print(f"TAMPERED at position #{verdict.first_mismatch}: {verdict.why} "
          f"({verdict.checked} positions before it verified)")
    return 1

def cmd_as_of(args: argparse.Namespace) -> int:
    """State at a business time, as known at a recording time, computed from the event store (audits)."""
    import dataclasses
    import json

    from gridflow import bootstrap
    from gridflow.pipeline import progress
    from projections.as_of import area_state, person_state

    config = Config.from_env()
    geo = bootstrap.geography(config)
    store = bootstrap.population(config, geo)
    known_at = args.known_at or datetime.now(timezone.utc)
    step = lambda n: progress(f"read {n} stored events")  # noqa: E731
    if args.person_pseudonym:
        state: Any = person_state(store, geo, args.person_pseudonym, args.at, known_at, step)
    else:
        if (args.grid and args.grid not in geo.grids) or (args.town and args.town not in geo.towns):
            print(f"unknown {'grid' if args.grid else 'town'}: {args.grid or args.town}", file=sys.stderr)
            return 2
        state = area_state(store, geo, args.at, known_at, grid=args.grid, town=args.town, progress=step)
    print(json.dumps(dataclasses.asdict(state), ensure_ascii=False, indent=2, default=str))
    return 0

def cmd_report(args: argparse.Namespace) -> int:
    """Planner's season report: PNG plots and an HTML page."""
    from dashboards.report import write_report
    from gridflow import bootstrap

    config = Config.from_env()
    geo = bootstrap.geography(config)
    if args.town and args.town not in geo.towns:
        print(f"unknown town: {args.town}", file=sys.stderr)
        return 2
    page = write_report(bootstrap.clickhouse(config), geo, args.start, args.end, args.out, town=args.town,
                        capacity_scale=args.capacity_scale)
    print(f"report written: {page}")
    return 0

def cmd_serve(args: argparse.Namespace) -> int:
    """API + page, the built-in evaluator and the projector in this process; the worker runs apart."""
    import signal
    import threading
    from contextlib import nullcontext

    from gridflow import bootstrap
    from gridflow.evaluator import Evaluator, data_clock, evaluating
    from gridflow.pipeline import following
    from gridflow.serving import make_services, print_accounts, serving

    config = Config.from_env()
    geo, client, population, projector = bootstrap.read_side(config)
    lock = threading.Lock()
    clock = data_clock(client, lock) if args.clock == "data" else None
    services = make_services(config, population, client, geo, **({"clock": clock} if clock else {}), lock=lock)
    evaluator = Evaluator(services.desk, client, geo, services.clock, args.capacity_scale, lock=lock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (following(projector) if args.project else nullcontext()), evaluating(evaluator, args.every), \
            serving(services, args.host, args.port) as url:
        print_accounts(services.accounts, url)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0

def cmd_kpi(args: argparse.Namespace) -> int:
    """Governance KPIs per grid, town or the district."""
    import json

    from gridflow import bootstrap
    from projections.alert_queries import kpis

    config = Config.from_env()
    geo = bootstrap.geography(config)
    client = bootstrap.clickhouse(config)
    grids = (args.grid,) if args.grid else tuple(geo.grids_of_town(args.town)) if args.town else None
    now = args.at or datetime.now(timezone.utc)
    print(json.dumps({"scope": args.grid or args.town or "district", "at": now.isoformat(),
                      **kpis(client, grids, now)}, indent=2))
    return 0

def cmd_audit(args: argparse.Namespace) -> int:
    """Who read person-level data or was denied, when and why."""
    from gridflow import bootstrap
    from projections.alert_queries import access_log

    config = Config.from_env()
    client = bootstrap.clickhouse(config)
    entries = access_log(client, args.since)
    for e in entries:
        print(f"{e['at']}  {'allowed' if e['allowed'] else 'DENIED ':<7}  {e['account']:<10} {e['role']:<12} "
              f"{e['action']:<16} {e['resource']}  — {e['reason']}")
    print(f"{len(entries)} entries since {args.since.isoformat()}", file=sys.stderr)
    return 0

def cmd_sweep_stays(args: argparse.Namespace) -> int:
    """Record stays left open past their declared nights as of a business time (default: now)."""
    from gridflow import bootstrap
    from gridflow.clock import record_open_stays

    _, client, app, projector = bootstrap.read_side(Config.from_env())
    projector.catch_up()
    as_of = args.as_of or datetime.now(timezone.utc)
    candidates, recorded = record_open_stays(app, client, as_of)
    projector.catch_up()
    print(f"as of {as_of.isoformat()}: {candidates} stays past their nights, {recorded} recorded as left open")
    return 0

