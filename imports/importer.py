"""`gridflow import`: a register's rows published to the same intake topic any producer uses (no side door: the same
validation, the same dead letters), then joined back with what the intake made of each, into a reject report."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imports.files import Register
from imports.outcomes import IntakeWatch
from imports.report import write_report
from imports.rows import Row, Rows
from streams.producer import kafka_producer
from streams.topics import INTAKE, TOPIC_OF_KIND

Say = Callable[[str, bool], None]  # (text, final): the one-line progress


@dataclass
class ImportResult:
    rows: list[Row]
    blank_rows: int
    already_accepted: int  # rows whose message the store had accepted before this import (no second effect)
    reports: tuple[Path, ...] = ()

    @property
    def rejected(self) -> list[Row]:
        return [r for r in self.rows if r.reason]

    @property
    def accepted(self) -> int:
        return len(self.rows) - len(self.rejected)

    def summary(self) -> str:
        by_stage = {s: sum(1 for r in self.rejected if r.stage == s) for s in ("mapping", "intake")}
        return (f"{len(self.rows)} rows: {self.accepted} accepted ({self.already_accepted} of them imported before), "
                f"{len(self.rejected)} rejected ({by_stage['mapping']} by the mapping, {by_stage['intake']} by the "
                f"intake)" + (f"; {self.blank_rows} blank rows skipped" if self.blank_rows else ""))


def bar(done: int, total: int, width: int = 20) -> str:
    """`[██████░░░░░░░░░░░░░░]  30%`: how far the import is, at a glance."""
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    filled = round(share * width)
    return f"[{'█' * filled}{'░' * (width - filled)}] {share:4.0%}"


def run_import(store: Any, servers: str, cluster: str, rows: Rows, report: Path | None, say: Say,
               idle_s: float = 300) -> ImportResult:
    """Publish every row the mapping reads, wait for the intake to decide each, write the reject report."""
    register, mapping = rows.register, rows.mapping
    topic = TOPIC_OF_KIND[mapping.kind]
    partitions = next(t.partitions for t in INTAKE if t.name == topic)
    watch = IntakeWatch(store, servers, cluster, topic, partitions)
    accepted_before = set(store.ledger.digests(rows.message_ids.values()))
    result = ImportResult(_publish(rows, register, servers, topic, say), register.blank_rows, 0)
    offsets: dict[int, list[int]] = {}
    for row in result.rows:
        if row.position is not None:
            offsets.setdefault(row.position[0], []).append(row.position[1])
    total = sum(len(o) for o in offsets.values())
    watch.wait({p: sorted(o) for p, o in offsets.items()},
               lambda n: say(f"import: intake {bar(n, total)} {n}/{total} messages handled", n == total), idle_s)
    _join(result.rows, watch)
    result.already_accepted = sum(1 for r in result.rows if r.message_id in accepted_before and not r.reason)
    if report is not None:
        result.reports = write_report(result.rows, report)
    return result


def _publish(rows: Rows, register: Register, servers: str, topic: str, say: Say) -> list[Row]:
    producer = kafka_producer(servers)
    done: list[Row] = []
    sent = []
    try:
        for n, (number, cells) in enumerate(register.rows, 1):
            row, key, value = rows.convert(number, cells)
            done.append(row)
            if value is not None:
                sent.append((row, producer.send(topic, key=key, value=value)))
            if n % 2000 == 0:
                say(f"import: rows {bar(n, len(register.rows))} {n}/{len(register.rows)} read, {len(sent)} published "
                    f"to {topic}", False)
        producer.flush()
        for row, future in sent:
            metadata = future.get(timeout=30)
            row.position = (metadata.partition, metadata.offset)
    finally:
        producer.close()
    say(f"import: rows {bar(len(done), len(register.rows))} {len(done)} read, {len(sent)} published to {topic}", True)
    return done


def _join(rows: list[Row], watch: IntakeWatch) -> None:
    """Each refused message's reason from the ledger, its detail from its dead letter."""
    refused = [r for r in rows if r.position is not None and r.position in watch.rejected]
    letters = watch.details({r.position for r in refused if r.position is not None})
    for row in refused:
        assert row.position is not None
        letter = letters.get(row.position)
        row.reason, row.stage = watch.rejected[row.position]["reason"], "intake"
        row.detail = letter["detail"] if letter else "(its dead letter was not found in gridflow.dead-letter)"
