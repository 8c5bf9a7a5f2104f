"""Running the data path locally: an intake worker subprocess + the projector following the store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.geography import Geography
from gridflow.bootstrap import Gridflow, bootstrap
from gridflow.config import Config
from projections.projector import Projector
from streams.producer import Published


@contextmanager
def intake_worker(config: Config, servers: str, log_path: Path,
                  group_id: str | None = None) -> Iterator[subprocess.Popen]:
    """`gridflow worker` in its own process (as in production), stopped with SIGTERM on exit."""
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=servers, GRIDFLOW_DATA_DIR=str(config.data_dir),
               GRIDFLOW_EVENT_STORE=config.event_store_url, GRIDFLOW_CIPHER_KEY=config.cipher_key,
               GRIDFLOW_PSEUDONYM_KEY=config.pseudonym_key.decode(), GRIDFLOW_BATCH_SIZE=str(config.batch_size),
               GRIDFLOW_GROUP_ID=group_id or f"gridflow-intake-{uuid.uuid4().hex[:8]}")
    if config.reference_dir:
        env["GRIDFLOW_REFERENCE_DIR"] = str(config.reference_dir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gridflow.cli", "worker"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen, timeout_s: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def following(projector: Projector, recover: bool = False) -> Iterator[threading.Thread]:
    """The projector follows the notification log in a thread of this process (which owns chdb); with `recover`
    it first recovers there, so a server answers while the projector is still starting."""
    def follow(stopped: Callable[[], bool]) -> None:
        if recover:
            projector.recover()
        projector.follow(stopped)

    with in_background(follow, "gridflow-projector") as thread:
        yield thread


@contextmanager
def in_background(loop: Callable[[Callable[[], bool]], None], name: str) -> Iterator[threading.Thread]:
    """Run `loop(stopped)` in a thread until the block ends; an error in it is raised here afterwards."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop(stop.is_set)
        except BaseException as e:  # surfaced to the caller below
            errors.append(e)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=60)
        if errors:
            raise errors[0]


def wait_until(done: Callable[[], bool], describe: Callable[[], str], timeout_s: float,
               alive: Callable[[], bool] = lambda: True, every_s: float = 1.0) -> None:
    """Poll `done`, printing `describe()` as progress; fail loudly on timeout or a dead worker."""
    started = time.monotonic()
    while not done():
        if not alive():
            raise RuntimeError(f"the intake worker or the projector stopped early ({describe()})")
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"not done after {timeout_s:.0f} s ({describe()})")
        progress(f"{describe()} [{time.monotonic() - started:.0f} s]", final=False)
        time.sleep(every_s)
    progress(f"{describe()} [{time.monotonic() - started:.0f} s]", final=True)


_last_progress = [0.0]


def progress(text: str, final: bool = False) -> None:
    """One updating line on a terminal; a line every 5 s (and the last one) in a log."""
    if sys.stderr.isatty():
        print(f"\r  {text}\033[K", end="\n" if final else "", file=sys.stderr, flush=True)
    elif final or time.monotonic() - _last_progress[0] >= 5:
        _last_progress[0] = time.monotonic()
        print(f"  {text}", file=sys.stderr, flush=True)


@dataclass
class Stack:
    """Everything a local run needs, opened once: ClickHouse, the store's read side, the projector, Kafka."""

    system: Gridflow
    servers: str

    @property
    def config(self) -> Config:
        return self.system.config

    @property
    def geo(self) -> Geography:
        return self.system.geography

    @property
    def client(self) -> Any:
        return self.system.clickhouse

    @property
    def reader(self) -> Any:
        return self.system.store

    @property
    def projector(self) -> Projector:
        return self.system.projector


@contextmanager
def local_stack(config: Config, geo: Geography | None = None, system: Gridflow | None = None) -> Iterator[Stack]:
    from gridflow.runtime import kafka
    from streams.topics import ensure_topics

    system = system or bootstrap(config, geo)
    system.recovered_projector()
    with kafka(config.kafka_bootstrap, config.data_dir / "logs") as servers:
        ensure_topics(servers)
        yield Stack(system, servers)


def stream_through(stack: Stack, messages: Iterable[Any], *, group_id: str | None = None,
                   expect_handled: Callable[[int], int] = lambda published: published) -> Published:
    """Publish `messages`, run the intake worker and the projector until every message is handled and
    projected. `expect_handled` maps the published count to the total the ledger must reach."""
    from streams.producer import kafka_producer, publish

    before = stack.projector.handled
    with intake_worker(stack.config, stack.servers, stack.config.data_dir / "logs" / "worker.log",
                       group_id) as worker, following(stack.projector) as follower:
        producer = kafka_producer(stack.servers)
        published = publish(producer, messages, lambda n: progress(f"produced {n}"))
        producer.close()
        progress(f"produced {published.count} messages ({len(published.bad)} seeded bad ones)", final=True)
        target = before + expect_handled(published.count)
        wait_until(
            lambda: stack.projector.handled >= target
            and stack.projector.position >= (stack.reader.recorder.max_notification_id() or 0),
            lambda: f"handled {stack.projector.handled - before}/{target - before}, "
                    f"projected to #{stack.projector.position}",
            timeout_s=max(600, published.count / 50), alive=lambda: worker.poll() is None and follower.is_alive())
        published.worker_peak_rss_mb = peak_rss_mb(worker.pid)
    return published


def peak_rss_mb(pid: int) -> int:
    """A process's peak resident memory (VmHWM), in MB; 0 where /proc does not tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((round(int(line.split()[1]) / 1024) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
