"""The reference geography as ClickHouse tables (`ref_towns`, `ref_villages`, `ref_grids`, `ref_lodgings`,
`ref_scenic_areas`), so that alert rules and dashboards compare the read models with capacities in SQL alone — the
same SQL for the built-in evaluator and for Grafana.

Capacities and baselines are stored at the data's scale (`capacity_scale`: 1 in production; a simulated season at
scale 0.05 is compared with 5 % of the beds). Rewritten only when the reference or the scale changed (a digest in
`ref_info`), each table swapped in whole (EXCHANGE TABLES), so a reader never sees a half-written table."""
from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from typing import Any

from domain.geography import Geography

TABLES: dict[str, str] = {
    "ref_towns": "code String, name String, name_en String, kind LowCardinality(String)",
    "ref_villages": "code String, town_code String, name String, kind LowCardinality(String), new_community UInt8",
    # beds: the grid's lodgings together; resident_baseline and beds at the data's scale; in_force: drawn today
    "ref_grids": "code String, village_code String, town_code String, resident_baseline Float64, dwellings UInt32, "
                 "beds Float64, in_force UInt8",
    "ref_lodgings": "code String, grid_code String, town_code String, name String, kind LowCardinality(String), "
                    "beds Float64",
    "ref_scenic_areas": "code String, name String, name_en String, grid_code String, town_code String, "
                        "max_instantaneous Float64, max_daily Float64",
    "ref_info": "digest String, capacity_scale Float64",
}


def _rows(geo: Geography, scale: float) -> dict[str, list[tuple]]:
    beds: dict[str, int] = defaultdict(int)
    for lodging in geo.lodgings.values():
        beds[lodging.grid_code] += lodging.beds
    town = {code: grid.town_code for code, grid in geo.grids.items()}
    return {
        "ref_towns": [(t.code, t.name, t.name_en, t.kind) for t in geo.towns.values()],
        "ref_villages": [(v.code, v.town_code, v.name, v.kind, int(v.new_community)) for v in geo.villages.values()],
        "ref_grids": [(g.code, g.village_code, g.town_code, g.resident_baseline * scale, g.dwellings,
                       beds[g.code] * scale, int(g.valid_to is None)) for g in geo.grids.values()],
        "ref_lodgings": [(x.code, x.grid_code, town[x.grid_code], x.name, x.kind, x.beds * scale)
                         for x in geo.lodgings.values()],
        "ref_scenic_areas": [(s.code, s.name, s.name_en, s.grid_code, town[s.grid_code], s.max_instantaneous * scale,
                              s.max_daily * scale) for s in geo.scenic_areas.values()],
    }


def stored_scale(client: Any) -> float | None:
    if not client.query("EXISTS TABLE ref_info").result_rows[0][0]:
        return None
    rows = client.query("SELECT capacity_scale FROM ref_info").result_rows
    return float(rows[0][0]) if rows else None


def sync_reference_tables(client: Any, geography: Geography, capacity_scale: float | None = None) -> Any:
    """Make the ref_* tables hold `geography` at `capacity_scale` (None: the scale they already hold, else 1).
    Returns the client, so the composition root can wrap the opening of ClickHouse with it."""
    held = stored_scale(client)
    scale = capacity_scale if capacity_scale is not None else (held or 1.0)
    rows = _rows(geography, scale)
    digest = hashlib.sha256(json.dumps([TABLES, rows, scale], default=str, sort_keys=True).encode()).hexdigest()
    if held is not None and client.query("SELECT digest FROM ref_info").result_rows == [(digest,)]:
        return client
    rows["ref_info"] = [(digest, scale)]
    for table, columns in TABLES.items():  # ref_info last: its digest says the others are complete
        _swap_in(client, table, columns, rows[table])
    return client


def _swap_in(client: Any, table: str, columns: str, rows: list[tuple]) -> None:
    """Filled beside the live table and swapped in whole: a reader, or a second process starting at the same
    time, never sees a half-written or doubled table."""
    create = f"({columns}) ENGINE = MergeTree ORDER BY tuple()"
    staging = f"{table}_{uuid.uuid4().hex[:12]}"
    client.command(f"CREATE TABLE IF NOT EXISTS {table} {create}")
    client.command(f"CREATE TABLE {staging} {create}")
    try:
        if rows:
            client.insert(staging, rows, column_names=[c.split()[0] for c in columns.split(", ")])
        client.command(f"EXCHANGE TABLES {table} AND {staging}")
    finally:
        client.command(f"DROP TABLE IF EXISTS {staging}")
