"""Follow the event store's notification log in batches and write ClickHouse rows, exactly once in effect.

Order of writes per batch: fact rows, then current-state rows (versioned by notification id), then the tracking
position. A crash anywhere leaves rows past the stored position; `recover()` deletes those and the next batch
writes them again. So a restart never loses or double-counts a row, although ClickHouse has no transactions.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.geography import Geography
from projections.guard import RowGuard, anomaly
from projections.inserts import Inserter
from projections.rollup import grid_state_deltas, hourly_rollup
from projections.rows import FORGOTTEN_SUBJECT, PROJECTED_TOPICS, RowMaker
from projections.schema import COLUMNS, GRID_STATE

log = logging.getLogger("gridflow.projector")
TOPICS_READ = sorted(PROJECTED_TOPICS)
RETRY_DELAYS_S = (0.5, 1, 2, 5, 10, 20, 30)  # then every 30 s: the projector waits for ClickHouse, it never gives up
# An idle projector rewrites its position row this often, so that silence means it stopped (an operations alert
# rule, alerting/operations.py) rather than that nothing arrived.
HEARTBEAT_S = 60.0


def all_notifications(recorder: Any, page: int = 20_000) -> Iterator[Any]:
    """The whole notification log, read a page at a time."""
    start = 1
    while batch := recorder.select_notifications(start=start, limit=page):
        yield from batch
        start = batch[-1].id + 1


@dataclass
class Batch:
    """One batch, read and turned into rows, waiting to be written."""

    count: int  # notifications read
    last: int  # the last notification id: the position once written
    tables: dict[str, list[dict[str, Any]]]
    erased: set[str]  # subjects erased in this batch
    anchor: str  # the event chain's digest at `last` (hex), or ""
    head: int = 0  # the store's last notification when the batch was read (its lag: head - last)


class ProjectionAheadOfStore(RuntimeError):
    """The tracking position is past the end of the event store (the store was replaced)."""


class Projector:
    def __init__(self, client: Any, store: Any, geography: Geography, name: str = "main", batch_size: int = 5000,
                 chain: Any = None):
        """`store` is the eventsourcing application whose notification log is followed (kept open by us);
        `chain` (stores.chain.EventChain), when given, is extended with every batch read and its digest at the
        position reached is kept in ClickHouse as an anchor for `gridflow verify`."""
        self.client, self.store, self.chain = client, store, chain
        self.recorder, self.mapper = store.recorder, store.mapper
        self.rows = RowMaker(geography)
        self.geography = geography
        self.name, self.batch_size = name, batch_size
        self.position = 0
        self.grid_state: dict[str, list[int]] = {}  # grid → the GRID_STATE counters
        self.handled = 0  # intake messages finished with (accepted + duplicates + rejected), as projected
        self.forgotten: set[str] = set()  # subjects of erased people: never written again
        self.observe: Callable[[Batch], None] | None = None  # told of every batch written (benchmarks)
        self.written_at = time.monotonic()  # when the position row was last written

    @property
    def client(self) -> Any:
        return self._client

    @client.setter
    def client(self, client: Any) -> None:
        self._client, self.inserter = client, Inserter(client)

    # -- start-up -------------------------------------------------------------------------------------------
    def recover(self) -> int:
        """Read the tracking position, delete anything written past it, reload current state."""
        result = self.client.query("SELECT max(position) FROM projection_position FINAL "
                                   "WHERE projector = %(p)s", parameters={"p": self.name}).result_rows
        self.position = int(result[0][0] or 0) if result else 0
        stored = self.recorder.max_notification_id() or 0
        if self.position > stored:
            raise ProjectionAheadOfStore(
                f"ClickHouse has projected up to #{self.position} but the event store ends at #{stored}: "
                "these tables belong to another store; replay into fresh tables")
        self.guard = RowGuard.of(self.client, tuple(COLUMNS))
        past = " UNION ALL ".join(f"SELECT '{t}', count() FROM {t} WHERE notification_id > {self.position}"
                                  for t in COLUMNS)
        for table, rows in self.client.query(past).result_rows:  # a crash left rows past the position
            if rows:
                self.client.command(f"DELETE FROM {table} WHERE notification_id > {self.position}")
        self.grid_state = {g: [int(v) for v in values] for g, *values in self.client.query("""
            SELECT grid_code, sum(population_delta), sum(visitors_delta), sum(lease_delta),
                   countIf(kind = 'dwelling_over_occupied') - countIf(kind = 'dwelling_within_capacity')
            FROM movements GROUP BY grid_code""").result_rows}
        # Current state written past the position is rebuilt from the facts (background merges may already have
        # folded away older versions, so deleting newer versions alone would not restore it).
        ahead = self.client.query("SELECT count() FROM grid_population WHERE version > %(p)s",
                                  parameters={"p": self.position}).result_rows[0][0]
        if ahead:
            self.client.command("TRUNCATE TABLE grid_population")
            self._write_grids(set(self.grid_state), self.position)
        self.forgotten = {s for (s,) in self.client.query("SELECT subject FROM erasures").result_rows}
        totals = self.client.query("SELECT sum(accepted + duplicates + rejected) FROM intake_ledger").result_rows
        self.handled = int(totals[0][0] or 0)
        return self.position

    # -- one batch ------------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Project the next batch of notifications; return how many notifications were consumed."""
        batch = self._prepare(self.position)
        if batch is None:
            return 0
        self._write(batch)
        return batch.count

    def _prepare(self, after: int) -> Batch | None:
        """Read the notifications after `after` and turn them into rows (no ClickHouse I/O). An event that does
        not decode or map to rows is recorded as an anomaly, never a reason to stop."""
        head = self.recorder.max_notification_id() or 0
        notifications, last = self._read(after, head)
        if last <= after:
            return None
        if self.chain is not None:
            self.chain.extend(notifications)
        tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
        anomalies = tables["projection_anomalies"]
        topics: dict[int, str] = {}
        for notification in notifications:
            if notification.topic in PROJECTED_TOPICS:
                for table, row in self._rows_of(notification, anomalies):
                    topics[notification.id] = notification.topic
                    tables[table].append(row)
        erased = {row["subject"] for row in tables.get("erasures", [])} - self.forgotten
        self.forgotten |= erased
        for row in tables.get("movements", []):
            if row["subject"] in self.forgotten:
                row["subject"] = FORGOTTEN_SUBJECT
        for table, rows in list(tables.items()):
            self.guard.fit(table, rows, topics, anomalies)
        if tables.get("movements"):
            tables["grid_hourly"] = hourly_rollup(tables["movements"], last)
            self.guard.fit("grid_hourly", tables["grid_hourly"], {last: "rollup"}, anomalies)
        for seq, row in enumerate(anomalies):
            row["seq"] = seq
        anchor = self.chain.anchor(last) if self.chain is not None else ""
        return Batch(last - after, last, {t: rows for t, rows in tables.items() if rows}, erased, anchor, head)

    def _read(self, after: int, end: int) -> tuple[list[Any], int]:
        """(notifications, the position they take us to). With no chain to extend (a replay), only the events that
        make rows are read: the store skips the rest, up to the end it had when asked."""
        if self.chain is not None:
            notifications = self.recorder.select_notifications(start=after + 1, limit=self.batch_size)
            return notifications, notifications[-1].id if notifications else after
        notifications = self.recorder.select_notifications(start=after + 1, limit=self.batch_size, stop=end,
                                                           topics=TOPICS_READ)
        return notifications, notifications[-1].id if len(notifications) == self.batch_size else max(end, after)

    def _rows_of(self, notification: Any, anomalies: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The rows of one stored event; an event that does not decode or map to rows is an anomaly instead."""
        try:
            event = self.mapper.to_domain_event(notification)
        except Exception as e:
            anomalies.append(anomaly(notification.id, notification.topic, "", "skipped", "undecodable",
                                     type(e).__name__))
            return []
        try:
            return list(self.rows.rows(notification.id, event))
        except Exception as e:
            anomalies.append(anomaly(notification.id, notification.topic, "", "skipped", "row_error",
                                     type(e).__name__))
            return []

    def _write(self, batch: Batch) -> None:
        """Facts, then current state, then the position: a crash anywhere leaves only rows past the position."""
        for table, rows in batch.tables.items():
            columns = COLUMNS[table]
            # Baseline registrations reach back years: one batch may span many partitions.
            self.inserter.insert(table, [[r[c] for c in columns] for r in rows], columns,
                                 settings={"max_partitions_per_insert_block": 1000})
        if batch.erased:  # rows projected before the erasure: unlink them too (synchronously, before moving on)
            # a lightweight UPDATE is immediate; a classic mutation waits for every monthly part to be rewritten
            self.client.command("UPDATE movements SET subject = %(f)s WHERE subject IN %(s)s",
                                parameters={"f": FORGOTTEN_SUBJECT, "s": sorted(batch.erased)})
        self._write_grid_state(batch.tables.get("movements", []), batch.last)
        self._write_position(batch.last, batch.anchor, max(batch.head, batch.last))
        self.handled += sum(r["accepted"] + r["duplicates"] + r["rejected"]
                            for r in batch.tables.get("intake_ledger", []))
        if self.observe is not None:
            self.observe(batch)

    def heartbeat(self) -> None:
        """The position row again, with the time and the store's head: nothing new, and the projector alive. It
        carries the chain's digest at the position (after a restart only the store has it), since it replaces
        the row `gridflow verify` reads that anchor from. A store that ends before the position was replaced
        under us: that is raised, never covered by a fresh row."""
        head = self.recorder.max_notification_id() or 0
        if head < self.position:
            raise ProjectionAheadOfStore(f"ClickHouse has projected up to #{self.position} but the event store "
                                         f"now ends at #{head}: it was replaced; replay into fresh tables")
        anchor = "" if self.chain is None else \
            self.chain.anchor(self.position) or self.chain.stored_anchor(self.position)
        self._write_position(self.position, anchor, head)

    def _write_position(self, position: int, anchor: str, head: int) -> None:
        self.inserter.insert("projection_position", [[self.name, position, datetime.now(UTC), anchor, head]],
                             ["projector", "position", "updated_at", "chain_digest", "store_head"])
        self.position, self.written_at = position, time.monotonic()

    def _write_grid_state(self, movements: list[dict[str, Any]], version: int) -> None:
        changed = set()
        for row in movements:
            deltas = grid_state_deltas(row)
            if any(deltas):
                state = self.grid_state.setdefault(row["grid_code"], [0] * len(GRID_STATE))
                for i, delta in enumerate(deltas):
                    state[i] += delta
                changed.add(row["grid_code"])
        self._write_grids(changed, version)

    def _write_grids(self, changed: set[str], version: int) -> None:
        if not changed:
            return
        grids = self.geography.grids
        rows = [[g, grids[g].village_code if g in grids else "", grids[g].town_code if g in grids else "",
                 version, *self.grid_state[g]] for g in sorted(changed)]
        self.inserter.insert("grid_population", rows,
                             ["grid_code", "village_code", "town_code", "version", *GRID_STATE])

    # -- loops ----------------------------------------------------------------------------------------------
    def catch_up(self, progress: Callable[[int], None] = lambda _: None) -> int:
        """Project everything stored."""
        total = 0
        while n := self.run_once():
            total += n
            progress(self.position)
        return total

    def follow(self, stop: Callable[[], bool], idle_sleep_s: float = 0.05,
               on_wait: Callable[[str], None] = lambda text: None, heartbeat_s: float = HEARTBEAT_S) -> None:
        """Keep up with the log: project whatever the intake has committed as soon as it is there (waiting for
        small batches to grow, to spare ClickHouse inserts, cost ~0.5 s of freshness at 1 k events/s and saved no
        measurable intake). When ClickHouse or the store fails, wait and recover (rows past the position are
        rewritten), however long it takes. While idle, the position row is rewritten every `heartbeat_s`."""
        failures = 0
        while not stop():
            try:
                if failures:
                    self.recover()
                n = self.run_once()
                if n == 0 and time.monotonic() - self.written_at >= heartbeat_s:
                    self.heartbeat()
                failures = 0
            except ProjectionAheadOfStore:
                raise
            except Exception as e:
                delay = RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S) - 1)]
                failures += 1
                message = f"projector waiting {delay:g} s: {type(e).__name__}: {first_line(e)}"
                log.warning(message)
                on_wait(message)
                _sleep_unless(stop, delay)
                continue
            if n == 0:
                time.sleep(idle_sleep_s)


def first_line(e: BaseException) -> str:
    return str(e).splitlines()[0][:200] if str(e) else ""


def _sleep_unless(stop: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(0.05)
