"""`gridflow bench alerts`: from the intake message that triggers an alert to the alert visible through the API.

Everything runs as `gridflow serve` would: the intake worker in its own process, the projector, the evaluator (a
round every `--every` seconds) and the API in this one. Priority persons are enrolled first; then, while a
simulated season streams in at a steady rate, one person after another is sighted outside the assigned grid.
The latency of each is from just before the sighting is sent until a district account's `GET /api/alerts` first
lists the alert naming that person (polled every 50 ms)."""
from __future__ import annotations

import json
import random
import statistics
import threading
import time
import urllib.request
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.ingest import scratch
from domain.alert_desk import AlertDesk
from domain.identity import Pseudonymizer, make_id_number
from domain.model import PriorityPerson
from gridflow.accounts import demo_accounts
from gridflow.api import wall_clock
from gridflow.bootstrap import bootstrap
from gridflow.config import Config
from gridflow.evaluator import Evaluator, evaluating
from gridflow.pipeline import following, intake_worker, local_stack, progress, wait_until
from gridflow.serving import make_services, serving
from streams.contract import encode, envelope
from streams.producer import kafka_producer, publish
from streams.simulator import CST, SimMessage, Simulator
from streams.topics import TOPIC_OF_KIND


def sighting(person: dict[str, Any], grid: str, at: datetime) -> SimMessage:
    payload = {"person": {"id_number": person["id_number"]}, "category": "community_correction",
               "assigned_grid": person["assigned"], "responsible_worker": "W-bench", "movement": "sighting",
               "grid_code": grid}
    value = encode(envelope("priority_movement", at, "bench:alerts", payload, uuid.uuid4()))
    return SimMessage(TOPIC_OF_KIND["priority_movement"], person["id_number"][-8:].encode(), value, at)


def bench_alerts(config: Config, *, triggers: int, rate: float, every_s: float, seed: int) -> dict[str, Any]:
    with scratch("gridflow-bench-alerts-") as root:
        return _bench_alerts(root, config, triggers=triggers, rate=rate, every_s=every_s, seed=seed)


def _bench_alerts(root: Path, config: Config, *, triggers: int, rate: float, every_s: float, seed: int
                  ) -> dict[str, Any]:
    run_config = Config.from_env({"GRIDFLOW_DATA_DIR": str(root), "GRIDFLOW_CIPHER_KEY": config.cipher_key,
                                  "GRIDFLOW_PSEUDONYM_KEY": config.pseudonym_key.decode()})
    system = bootstrap(run_config)
    geo = system.geography
    rng = random.Random(seed)
    grids = geo.current_grids()
    pseudonymize = Pseudonymizer(run_config.pseudonym_key)
    people = [{"id_number": make_id_number("370614", date(1980, 1, 1) + timedelta(days=n), 900 + n % 99),
               "assigned": rng.choice(grids)} for n in range(triggers)]
    start = datetime(2026, 8, 1, tzinfo=CST)
    enrolments = [sighting(p, p["assigned"], start - timedelta(days=1)) for p in people]
    season = list(Simulator(geo, start=start.date(), days=7, scale=0.02, seed=seed, bad_share=0).messages())
    baseline = [m for m in season if m.occurred_at < start]
    background = season[len(baseline):]
    produced: dict[str, float] = {}
    seen: dict[str, float] = {}
    with local_stack(run_config, system=system) as stack:
        lock = threading.RLock()
        evaluator = Evaluator(AlertDesk(stack.reader), stack.client, geo, wall_clock, lock=lock)
        accounts, tokens = demo_accounts(geo, grids[0])
        services = make_services(system, accounts, lock=lock)
        producer = kafka_producer(stack.servers)
        producer.config["linger_ms"] = 0
        with intake_worker(run_config, stack.servers, root / "logs" / "worker.log") as worker, \
                following(stack.projector), evaluating(evaluator, every_s), serving(services) as url:
            publish(producer, baseline + enrolments)
            wait_until(lambda: stack.projector.handled >= len(baseline) + len(enrolments),
                       lambda: f"baseline and enrolments: {stack.projector.handled} handled (not timed)",
                       timeout_s=900, alive=lambda: worker.poll() is None)
            stop = threading.Event()

            def poll() -> None:
                request = urllib.request.Request(f"{url}/api/alerts?status=all&rule=priority_left_area&limit=500",
                                                 headers={"Authorization": f"Bearer {tokens['district']}"})
                while not stop.is_set():
                    with urllib.request.urlopen(request, timeout=30) as response:
                        for alert in json.loads(response.read()):
                            person = alert["person"]  # the priority person's handle (the subject id)
                            if alert["rule_id"] == "priority_left_area" and person in produced:
                                seen.setdefault(person, time.time())
                    time.sleep(0.05)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            per_trigger = max(1, len(background) // triggers)
            pace = rate / 1.5  # messages/s (≈ 1.5 events per season message)
            began = time.monotonic()
            queue = iter(people)
            for n, message in enumerate(background):
                if (delay := began + n / pace - time.monotonic()) > 0:
                    time.sleep(delay)
                producer.send(message.topic, key=message.key, value=message.value)
                if n % per_trigger == 0 and (person := next(queue, None)) is not None:
                    away = rng.choice([g for g in grids if g != person["assigned"]][:50])
                    produced[PriorityPerson.create_id(pseudonymize(person["id_number"])).hex] = time.time()
                    trigger = sighting(person, away, message.occurred_at)
                    producer.send(trigger.topic, key=trigger.key, value=trigger.value)
                if n % 500 == 0:
                    progress(f"alerts: {len(produced)} triggers sent, {len(seen)} alerts seen")
            producer.flush()
            wait_until(lambda: len(seen) >= len(produced), lambda: f"{len(seen)}/{len(produced)} alerts seen",
                       timeout_s=120, alive=lambda: worker.poll() is None)
            stop.set()
            poller.join(timeout=10)
    latencies = sorted(seen[p] - produced[p] for p in produced if p in seen)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")  # p99 ≤ max
    result = {"triggers": len(produced), "seen": len(latencies), "evaluation_every_s": every_s,
              "background_events_per_s": rate, "p50_ms": round(1000 * cuts[49]), "p99_ms": round(1000 * cuts[98]),
              "max_ms": round(1000 * latencies[-1])}
    print(f"\nalert latency, intake message produced → alert listed by the API ({result['seen']} of "
          f"{result['triggers']} alerts, background ≈ {rate:.0f} events/s, evaluation every {every_s} s): "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms")
    return result

