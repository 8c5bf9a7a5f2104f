"""`gridflow` command line: thin entrypoints over the composition root."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from gridflow.cli_services import (
    cmd_as_of,
    cmd_audit,
    cmd_kpi,
    cmd_replay,
    cmd_report,
    cmd_serve,
    cmd_sweep_stays,
    cmd_verify,
)
from gridflow.config import Config


def has_broker(config: Config, command: str) -> bool:
    """Services talk to a running broker; only the demo and tests start their own."""
    if not config.kafka_bootstrap:
        print(f"gridflow {command} needs KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
    return bool(config.kafka_bootstrap)


def cmd_demo(args: argparse.Namespace) -> int:
    from gridflow.demo import run_demo

    run_demo(Config.from_env(), days=args.days, scale=args.scale, seed=args.seed, start=args.start,
             bad_share=args.bad_share, json_path=args.json, serve=args.serve, port=args.port)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from gridflow import bootstrap
    from streams.worker import WorkerSettings, run

    config = Config.from_env()
    if not has_broker(config, "worker"):
        return 2
    handler = bootstrap.intake_handler(config, config.kafka_bootstrap)
    settings = WorkerSettings(config.kafka_bootstrap, group_id=os.environ.get("GRIDFLOW_GROUP_ID", "gridflow-intake"),
                              batch_size=config.batch_size)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run(settings, handler)
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """Follow the event store into ClickHouse (the projector service)."""
    import signal
    import threading

    from gridflow import bootstrap

    config = Config.from_env()
    client = bootstrap.clickhouse(config)
    projector = bootstrap.projector(config, client)
    print(f"projector: resuming after notification #{projector.recover()}", file=sys.stderr)
    if not args.follow:
        print(f"projector: {projector.catch_up()} notifications projected", file=sys.stderr)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        projector.follow(stop.is_set)
    except KeyboardInterrupt:
        pass
    return 0









def cmd_dead_letters(args: argparse.Namespace) -> int:
    """List dead letters: reason, detail, source position; with --original, the decrypted original bytes."""
    from streams.dead_letter import make_cipher, open_original, read_dead_letters

    config = Config.from_env()
    if not has_broker(config, "dead-letters"):
        return 2
    cipher = make_cipher(config.cipher_key)
    letters = read_dead_letters(config.kafka_bootstrap)
    for letter in sorted(letters, key=lambda x: x["rejected_at"]):
        s = letter["source"]
        print(f"{letter['rejected_at']}  {letter['reason']:<20} {s['topic']}:{s['partition']}@{s['offset']}  "
              f"{letter['message_id'] or '-'}  {letter['detail']}")
        if args.original:
            print("    " + open_original(letter, cipher).decode("utf-8", errors="replace"))
    print(f"{len(letters)} dead letters", file=sys.stderr)
    return 0


def cmd_forget_person(args: argparse.Namespace) -> int:
    """Crypto-shred one person: destroy their key, record a tombstone; projections unlink their rows."""
    from domain.identity import InvalidIdNumber, validate_id_number
    from gridflow import bootstrap

    config = Config.from_env()
    population = bootstrap.population(config)
    if args.id_number:
        try:
            pseudonym = population.pseudonymize(validate_id_number(args.id_number))
        except InvalidIdNumber as e:
            print(f"not a valid ID number: {e}", file=sys.stderr)
            return 2
    else:
        pseudonym = args.pseudonym
    if not population.forget(pseudonym, reason=args.reason, requested_by=args.by):
        print(f"{pseudonym}: already forgotten", file=sys.stderr)
        return 1
    print(f"{pseudonym}: key destroyed, tombstone recorded at #{population.recorder.max_notification_id()}; "
          "projections unlink the person's rows when they reach it")
    return 0



def cmd_topics(args: argparse.Namespace) -> int:
    from streams.topics import ALL, ensure_topics

    config = Config.from_env()
    if config.kafka_bootstrap:
        print("created: " + (", ".join(ensure_topics(config.kafka_bootstrap)) or "none"))
    print(f"{'topic':<28}{'kind':<22}{'partitions':>10}  key")
    for t in ALL:
        print(f"{t.name:<28}{t.kind or '(rejects)':<22}{t.partitions:>10}  {t.key}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from gridflow.bench import bench_domain, bench_ingest

    if args.bench == "domain":
        bench_domain(Config.from_env(), stores=args.store, messages=args.messages, seed=args.seed)
    elif args.bench == "alerts":
        from gridflow.bench_alerts import bench_alerts

        bench_alerts(Config.from_env(), triggers=args.triggers, rate=args.rate, every_s=args.every, seed=args.seed)
    elif args.bench == "projections":
        from gridflow.bench_projections import bench_projections

        bench_projections(Config.from_env(), rate=args.rate, days=args.days, scale=args.scale, seed=args.seed)
    else:
        bench_ingest(Config.from_env(), stores=args.store, days=args.days, scale=args.scale, seed=args.seed)
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    from gridflow.reference import load_geography

    geo = load_geography(args.dir)
    print(geo.shape())
    return 0


def aware_datetime(text: str) -> datetime:
    """ISO 8601; without an offset it is read as the district's local time (UTC+8)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone(timedelta(hours=8)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gridflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def season(p: argparse.ArgumentParser, days: int, scale: float) -> None:
        p.add_argument("--days", type=int, default=days)
        p.add_argument("--scale", type=float, default=scale, help="1.0 = Penglai's full size")
        p.add_argument("--seed", type=int, default=42)

    demo = sub.add_parser("demo", help="stream a simulated season end to end and summarise per town")
    season(demo, 7, 0.05)
    demo.add_argument("--start", type=date.fromisoformat, default=date(2026, 8, 1))
    demo.add_argument("--bad-share", type=float, default=0.01, help="share of seeded bad messages")
    demo.add_argument("--json", type=Path, help="also write the summary as JSON here")
    demo.add_argument("--serve", action=argparse.BooleanOptionalAction, default=True,
                      help="afterwards serve the grid-worker page and API until Ctrl-C (default: yes)")
    demo.add_argument("--port", type=int, default=8080, help="port for the page (0: any free port)")
    demo.set_defaults(func=cmd_demo)

    sub.add_parser("worker", help="run the faust intake worker (needs KAFKA_BOOTSTRAP_SERVERS)").set_defaults(
        func=cmd_worker)
    project = sub.add_parser("project", help="project the event store into ClickHouse (once, or --follow)")
    project.add_argument("--follow", action="store_true", help="keep following the notification log")
    project.set_defaults(func=cmd_project)
    replay = sub.add_parser("replay", help="rebuild every projection from the event store and swap it in")
    replay.add_argument("--check", action="store_true",
                        help="rebuild beside the live tables and report differences table by table (exit 1 if any)")
    replay.set_defaults(func=cmd_replay)
    verify = sub.add_parser("verify", help="check the event log's hash chain; names the first position that fails")
    verify.add_argument("--seal", action="store_true", help="first chain stored events not chained yet")
    verify.add_argument("--no-anchors", action="store_true", help="do not compare with the anchors in ClickHouse")
    verify.set_defaults(func=cmd_verify)
    as_of = sub.add_parser("as-of", help="state at a point in business time, computed from the event store")
    as_of.add_argument("--at", type=aware_datetime, required=True, help="business time, ISO 8601 (local if naive)")
    as_of.add_argument("--known-at", type=aware_datetime,
                       help="only what the system had recorded by then (default: now, everything known)")
    what = as_of.add_mutually_exclusive_group(required=True)
    what.add_argument("--grid")
    what.add_argument("--town")
    what.add_argument("--person-pseudonym")
    as_of.set_defaults(func=cmd_as_of)
    report = sub.add_parser("report", help="planner reports (PNG plots and an HTML page)")
    report_sub = report.add_subparsers(dest="report", required=True)
    season_report = report_sub.add_parser("season", help="seasonal load against carrying capacity")
    season_report.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    season_report.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    season_report.add_argument("--town", help="one town/street code (default: all)")
    season_report.add_argument("--out", type=Path, required=True, help="directory for the plots and index.html")
    season_report.add_argument("--capacity-scale", type=float, default=1.0,
                               help="multiply capacities (for simulated data: the simulation's --scale)")
    season_report.set_defaults(func=cmd_report)
    serve = sub.add_parser("serve", help="the API and grid-worker page, the alert evaluator and the projector")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--every", type=float, default=1.0, help="seconds between evaluation rounds")
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
    kpi.set_defaults(func=cmd_kpi)
    audit = sub.add_parser("audit", help="the access audit")
    audit_sub = audit.add_subparsers(dest="audit", required=True)
    audit_access = audit_sub.add_parser("access", help="reads of person-level data and denials")
    audit_access.add_argument("--since", type=aware_datetime, required=True)
    audit_access.set_defaults(func=cmd_audit)
    dead = sub.add_parser("dead-letters", help="list refused messages with their reason codes")
    dead.add_argument("--original", action="store_true", help="also print the decrypted original bytes")
    dead.set_defaults(func=cmd_dead_letters)
    forget = sub.add_parser("forget-person", help="crypto-shred one person's personal data (PIPL erasure)")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--id-number", help="the person's ID number (validated, then pseudonymised)")
    who.add_argument("--pseudonym", help="the person's pseudonym")
    forget.add_argument("--reason", required=True, help="why (recorded in the tombstone)")
    forget.add_argument("--by", required=True, help="who asked / who acts (recorded in the tombstone)")
    forget.set_defaults(func=cmd_forget_person)
    sweep = sub.add_parser("sweep-stays", help="record visitor stays left open past their declared nights")
    sweep.add_argument("--as-of", type=aware_datetime, help="business time, ISO 8601 (default: now)")
    sweep.set_defaults(func=cmd_sweep_stays)
    sub.add_parser("topics", help="create the intake topics (if a broker is configured) and list them").set_defaults(
        func=cmd_topics)

    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    ingest = bench_sub.add_parser("ingest", help="end-to-end events/s vs the event store's batched-write ceiling")
    season(ingest, 7, 0.05)
    ingest.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    ingest.set_defaults(func=cmd_bench)
    domain = bench_sub.add_parser("domain", help="intake commands → domain → store vs the store's ceilings")
    domain.add_argument("--messages", type=int, default=100_000)
    domain.add_argument("--seed", type=int, default=42)
    domain.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    domain.set_defaults(func=cmd_bench)

    projections = bench_sub.add_parser("projections", help="freshness, replay rate, planner query speed")
    season(projections, 14, 0.05)
    projections.add_argument("--rate", type=float, default=1000, help="intake events per second to sustain")
    projections.set_defaults(func=cmd_bench)

    alerts = bench_sub.add_parser("alerts", help="intake message → alert visible through the API")
    alerts.add_argument("--triggers", type=int, default=100)
    alerts.add_argument("--rate", type=float, default=500, help="background intake events per second")
    alerts.add_argument("--every", type=float, default=0.5, help="seconds between evaluation rounds")
    alerts.add_argument("--seed", type=int, default=42)
    alerts.set_defaults(func=cmd_bench)

    reference = sub.add_parser("reference", help="load and validate reference geography")
    reference.add_argument("--dir", type=Path, help="an operator's CSV directory (default: shipped Penglai)")
    reference.set_defaults(func=cmd_reference)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
