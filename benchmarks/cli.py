"""`gridflow bench …`: the benchmark commands (each prints its figures as a table and as JSON)."""
from __future__ import annotations

import argparse
from typing import Any

from gridflow.cli_args import COUNT as count
from gridflow.cli_args import SECONDS as seconds
from gridflow.cli_args import season_options as season


def add_bench_commands(sub: Any) -> None:
    bench = sub.add_parser("bench", help="benchmarks (print figures)")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    ingest = bench_sub.add_parser("ingest", help="end-to-end events/s vs the event store's batched-write ceiling")
    season(ingest, 7, 0.05)
    ingest.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    ingest.add_argument("--rounds", type=count, default=3, help="runs per store; the verdicts are on the medians")
    ingest.set_defaults(func=run_bench)
    domain = bench_sub.add_parser("domain", help="intake commands → domain → store vs the store's ceilings")
    domain.add_argument("--messages", type=count, default=100_000)
    domain.add_argument("--seed", type=int, default=42)
    domain.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    domain.set_defaults(func=run_bench)
    projections = bench_sub.add_parser("projections", help="freshness, replay rate, planner query speed")
    season(projections, 14, 0.05)
    projections.add_argument("--rate", type=count, default=1000, help="intake events per second to sustain")
    projections.set_defaults(func=run_bench)
    alerts = bench_sub.add_parser("alerts", help="intake message → alert visible through the API")
    alerts.add_argument("--triggers", type=count, default=100)
    alerts.add_argument("--rate", type=count, default=500, help="background intake events per second")
    alerts.add_argument("--every", type=seconds, default=0.5, help="seconds between evaluation rounds")
    alerts.add_argument("--seed", type=int, default=42)
    alerts.set_defaults(func=run_bench)
    scaling = bench_sub.add_parser("scaling", help="PostgreSQL with 1, 2 and 3 workers in one consumer group")
    season(scaling, 3, 0.05)
    scaling.set_defaults(func=run_bench)
    replay = bench_sub.add_parser("replay", help="replay rate vs the raw decoded read: the demo's store, ~1 M events")
    replay.add_argument("--events", type=count, default=1_000_000, help="size of the store built for it")
    replay.set_defaults(func=run_bench)
    startup = bench_sub.add_parser("startup", help="start-up times of project, serve and kpi on the demo's data")
    startup.add_argument("--runs", type=count, default=3)
    startup.set_defaults(func=run_bench)
    imports = bench_sub.add_parser("import", help="a register imported end to end (rows/s) vs bench ingest's msg/s")
    imports.add_argument("--rows", type=count, default=100_000)
    season(imports, 7, 0.05)
    imports.set_defaults(func=run_bench)


def run_bench(system: Any, args: argparse.Namespace) -> int:
    config = system.config
    if args.bench == "domain":
        from benchmarks.ingest import bench_domain

        bench_domain(config, stores=args.store, messages=args.messages, seed=args.seed)
    elif args.bench == "alerts":
        from benchmarks.alerts import bench_alerts

        bench_alerts(config, triggers=args.triggers, rate=args.rate, every_s=args.every, seed=args.seed)
    elif args.bench == "projections":
        from benchmarks.projections import bench_projections

        bench_projections(config, rate=args.rate, days=args.days, scale=args.scale, seed=args.seed)
    elif args.bench == "scaling":
        from benchmarks.scaling import bench_scaling

        bench_scaling(config, days=args.days, scale=args.scale, seed=args.seed)
    elif args.bench == "replay":
        from benchmarks.replay import bench_replay

        bench_replay(config, events=args.events)
    elif args.bench == "import":
        from benchmarks.imports import bench_import

        bench_import(config, rows=args.rows, seed=args.seed, days=args.days, scale=args.scale)
    elif args.bench == "startup":
        from benchmarks.startup import bench_startup

        bench_startup(config, runs=args.runs)
    else:
        from benchmarks.ingest import bench_ingest

        bench_ingest(config, stores=args.store, days=args.days, scale=args.scale, seed=args.seed, rounds=args.rounds)
    return 0
