"""`gridflow demo`: a simulated season through the whole data path, then a summary per town."""
from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.alert_desk import AlertDesk
from gridflow.bootstrap import Gridflow
from gridflow.clock import record_open_stays
from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.evaluator import Evaluator
from gridflow.pipeline import local_stack, stream_through
from gridflow.relay import registration
from gridflow.serving import demo_services
from projections import alert_queries, queries
from projections.projector import all_notifications
from projections.rows import MOVEMENT_TOPICS
from projections.schema import table_counts
from streams.dead_letter import make_cipher, open_original, read_dead_letters
from streams.simulator import CST, Simulator


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fresh_embedded_state(config: Config) -> None:
    """The embedded broker starts empty each run, so Kafka positions stored by an earlier run would not match
    it: with the default stores the demo starts afresh (configured external stores are left alone)."""
    if not config.uses_default_stores():
        say("note: external stores configured; they must be fresh for a demo on an embedded broker")
        return
    check_not_served(config)
    shutil.rmtree(config.data_dir / "clickhouse", ignore_errors=True)
    (config.data_dir / "accounts.json").unlink(missing_ok=True)  # re-seeded around this run's busiest grid
    store = config.data_dir / "events.sqlite"  # and the event chain beside it, which belongs to that store
    for path in (store, Path(f"{store}.chain")):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def check_not_served(config: Config) -> None:
    """A running server (another demo, `gridflow serve`) holds these stores: starting afresh would pull them
    from under it."""
    try:
        pid = json.loads(registration(config).read_text())["pid"]
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError):
        return
    raise OperatorError(f"a gridflow server (pid {pid}) is serving {config.data_dir}; stop it before a new demo")


def run_demo(system: Gridflow, *, days: int, scale: float, seed: int, start: date, bad_share: float,
             json_path: Path | None, serve: bool = False, port: int = 8080) -> dict[str, Any]:
    t0 = time.monotonic()
    config = system.config
    if not config.kafka_bootstrap:
        fresh_embedded_state(config)
    geo = system.geography
    say(f"reference geography: {geo.shape()}")
    for note in config.key_notes:
        say(f"keys: {note}")
    with local_stack(config, system=system) as stack:
        say(f"kafka: {stack.servers} ({'configured' if config.kafka_bootstrap else 'embedded Tansu'})")
        simulator = Simulator(geo, start=start, days=days, scale=scale, seed=seed, bad_share=bad_share)
        say(f"producing a simulated season: {days} days from {start}, scale {scale}, seed {seed}; "
            "intake → event store → ClickHouse")
        published = stream_through(stack, simulator.messages())
        letters = read_dead_letters(stack.servers, expected=queries.intake_totals(stack.client)["rejected"])
        season_end = datetime(start.year, start.month, start.day, tzinfo=CST) + timedelta(days=days)
        _, open_stays = record_open_stays(stack.reader, stack.client, season_end)
        stack.projector.catch_up()
        say(f"clock at {season_end.isoformat()}: {open_stays} visitor stays recorded as left open")
        lock = threading.RLock()
        evaluator = Evaluator(AlertDesk(system.store), stack.client, geo, lambda: season_end, capacity_scale=scale,
                              lock=lock)
        rounds = evaluator.run_once()
        stack.projector.catch_up()
        say(f"alert rules at {season_end.isoformat()}: {rounds['raised']} alerts raised")
        services, tokens = demo_services(system, lambda: season_end, lock)
        summary = summarise(config, stack.client, stack.reader, published, letters, start, time.monotonic() - t0,
                            system.vault())
        summary["scale"], summary["days"], summary["seed"] = scale, days, seed
        summary["alerts_by_rule"] = alert_queries.alerts_by_rule(stack.client)
        add_capacity(summary["towns"], geo, scale)
        print_summary(summary, geo)
        if json_path:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
            say(f"summary written to {json_path}")
        if serve:
            serve_until_interrupted(system, services, tokens, port, scale)
    return summary


def serve_until_interrupted(system: Gridflow, services: Any, tokens: dict[str, str], port: int,
                            scale: float) -> None:
    """The grid-worker page and the API on the demo's data, until Ctrl-C."""
    from gridflow.serving import free_port, print_accounts, running

    try:
        with running(system, services, host="127.0.0.1", port=port or free_port(), every_s=2.0,
                     capacity_scale=scale, project=True) as url:
            print_accounts(tokens, services.accounts, url)
            print("serving until Ctrl-C", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        pass


def summarise(config: Config, client: Any, reader: Any, published: Any, letters: list[dict[str, Any]],
              start: date, elapsed_s: float, vault: Any = None) -> dict[str, Any]:
    totals = queries.intake_totals(client)
    stored = dict(Counter(n.topic for n in all_notifications(reader.recorder)))  # no decoding needed
    cipher = make_cipher(config.cipher_key)
    by_position = {(x["source"]["topic"], x["source"]["partition"], x["source"]["offset"]): x for x in letters}
    seeded_found = seeded_reason_ok = seeded_bytes_ok = 0
    for position, (reason, original) in published.bad.items():
        letter = by_position.get(position)
        if letter is not None:
            seeded_found += 1
            seeded_reason_ok += letter["reason"] == reason
            seeded_bytes_ok += open_original(letter, cipher, vault) == original
    season_start = datetime(start.year, start.month, start.day, tzinfo=CST).astimezone(UTC)
    projected_facts = sum(n for topic, n in stored.items() if topic in MOVEMENT_TOPICS)
    return {
        "events_produced": published.count,
        "events_stored": totals["accepted"],
        "events_dead_lettered": len(letters),
        "events_duplicate": totals["duplicates"],
        "rejected_in_store": totals["rejected"],
        "domain_events_stored": sum(stored.values()),
        "stored_events_by_type": stored,
        "projected_rows": table_counts(client),
        "movement_rows_by_kind": queries.movement_counts(client),
        "projected_facts": queries.projected_fact_count(client),
        "store_facts_projectable": projected_facts,
        "rejects_by_reason": queries.rejects_by_reason(client),
        "plaintext_id_numbers_in_clickhouse": len(queries.plaintext_id_numbers(client)),
        "seeded_bad_messages": {"published": len(published.bad), "in_dead_letter_topic": seeded_found,
                                "reason_as_expected": seeded_reason_ok, "original_bytes_intact": seeded_bytes_ok},
        "towns": queries.town_summary(client, season_start),
        "elapsed_s": round(elapsed_s, 1),
        "worker_peak_rss_mb": published.worker_peak_rss_mb,
        "stores": {"event_store": config.event_store_url.split("@")[-1], "clickhouse": config.clickhouse_dsn},
    }


def add_capacity(towns: dict[str, dict[str, Any]], geo: Any, scale: float) -> None:
    """Lodging beds and scenic-area capacity per town, at the simulated scale so the load shares compare."""
    for code in geo.towns:
        towns.setdefault(code, {}).update(name=geo.towns[code].name, lodging_beds=0, scenic_instantaneous=0)
    for lodging in geo.lodgings.values():
        towns[geo.grids[lodging.grid_code].town_code]["lodging_beds"] += round(lodging.beds * scale)
    for area in geo.scenic_areas.values():
        towns[geo.grids[area.grid_code].town_code]["scenic_instantaneous"] += round(area.max_instantaneous * scale)
    for town in towns.values():
        beds = town["lodging_beds"]
        town["peak_share_of_beds"] = round(town.get("peak_visitors", 0) / beds, 3) if beds else None


def pad(text: str, width: int) -> str:
    """Left-align by display width (CJK characters take two columns)."""
    return text + " " * max(0, width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))


def print_summary(summary: dict[str, Any], geo: Any) -> None:
    print(f"\n{'town/street':<12}{'residents':>10}{'change':>8}{'new hh':>7}{'leases':>7}"
          f"{'peak visitors':>14}{'beds*':>7}{'load':>6}{'scenic cap*':>12}")
    for _, town in sorted(summary["towns"].items()):
        share = town["peak_share_of_beds"]
        print(f"{pad(town['name'], 12)}{town.get('residents', 0):>10}{town.get('residents_change', 0):>+8}"
              f"{town.get('new_households', 0):>7}{town.get('active_leases', 0):>7}"
              f"{town.get('peak_visitors', 0):>14}{town['lodging_beds']:>7}"
              f"{f'{100 * share:.0f}%' if share is not None else '-':>6}{town['scenic_instantaneous']:>12}")
    print(f"* capacities at the simulated scale ({summary['scale']}); load = peak lodged visitors / beds")
    print(f"\nmessages produced {summary['events_produced']}: stored {summary['events_stored']}, "
          f"dead-lettered {summary['events_dead_lettered']}, duplicates {summary['events_duplicate']}")
    print("rejects by reason: " + ", ".join(f"{k} {v}" for k, v in summary["rejects_by_reason"].items()))
    print(f"seeded bad messages: {summary['seeded_bad_messages']}")
    print(f"projected rows: {summary['projected_rows']}; elapsed {summary['elapsed_s']} s; "
          f"intake worker peak memory {summary['worker_peak_rss_mb']} MB")
    print("alerts raised by rule: " + ", ".join(f"{k} {v}" for k, v in summary.get("alerts_by_rule", {}).items()))
