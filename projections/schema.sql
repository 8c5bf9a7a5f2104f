-- gridflow read models, created inside the client's database (an Atomic database of our own, made by
-- projections.projector.open_database; chdb's default database is Overlay).
-- Every projected row carries the notification id it came from: after a crash the projector deletes rows past
-- its tracking position and re-projects them, so no row is lost or counted twice.
-- One row per residency / lease / visitor / priority-person fact; pseudonyms and codes only, never identities.
-- Partitions are years: a batch of baseline registrations spans 15 years, and a part per month of them made
-- replay insert 180 parts per batch (tables made by earlier releases keep months until `gridflow replay`).
CREATE TABLE IF NOT EXISTS movements (
    notification_id  UInt64,
    seq              UInt8,
    occurred_at      DateTime64(3, 'UTC'),
    recorded_at      DateTime64(3, 'UTC'),
    kind             LowCardinality(String),
    subject          String,
    town_code        LowCardinality(String),
    village_code     LowCardinality(String),
    grid_code        LowCardinality(String),
    place            String,
    household        String,
    reason           LowCardinality(String),
    origin           String,
    population_delta Int8,
    lease_delta      Int8,
    visitors_delta   Int32,
    nights           UInt16,
    non_local        UInt8,
    category         LowCardinality(String),
    message_id       String,
    assigned_grid    LowCardinality(String)  -- priority persons: the grid whose worker is responsible
) ENGINE = MergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (town_code, grid_code, occurred_at, notification_id, seq)
-- lightweight UPDATE (for erasures) needs the block number/offset columns
SETTINGS enable_block_number_column = 1, enable_block_offset_column = 1;

-- Current state per grid: registered residents, lodged visitors present, active leases, over-occupied dwellings
-- (the newest version per grid wins; version = the notification id it was computed at).
CREATE TABLE IF NOT EXISTS grid_population (
    grid_code               String,
    village_code            LowCardinality(String),
    town_code               LowCardinality(String),
    residents               Int64,
    version                 UInt64,
    visitors_present        Int64,
    active_leases           Int64,
    over_occupied_dwellings Int64
) ENGINE = ReplacingMergeTree(version)
ORDER BY grid_code;

-- Rollup per grid and hour, pre-aggregated by the projector per batch (notification_id = the batch's last), so a
-- crash-restart deletes a batch's rows like any other; read with sum() … GROUP BY.
CREATE TABLE IF NOT EXISTS grid_hourly (
    notification_id      UInt64,
    hour                 DateTime('UTC'),
    town_code            LowCardinality(String),
    village_code         LowCardinality(String),
    grid_code            LowCardinality(String),
    move_ins             UInt32,
    move_outs            UInt32,
    residents_delta      Int32,
    lease_starts         UInt32,
    lease_ends           UInt32,
    check_ins            UInt32,
    check_outs           UInt32,
    visitor_arrivals     UInt32,
    visitor_departures   UInt32
) ENGINE = MergeTree
PARTITION BY toYear(hour)
ORDER BY (town_code, grid_code, hour, notification_id);

-- Scenic-area gate counts (numbers only), one row per counting interval.
CREATE TABLE IF NOT EXISTS scenic_gate_counts (
    notification_id  UInt64,
    occurred_at      DateTime64(3, 'UTC'),
    interval_minutes UInt16,
    area_code        LowCardinality(String),
    grid_code        LowCardinality(String),
    town_code        LowCardinality(String),
    entries          UInt32,
    exits            UInt32
) ENGINE = MergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (area_code, occurred_at, notification_id);

-- Residents per dwelling now (from the residency facts).
CREATE VIEW IF NOT EXISTS dwelling_residents AS
SELECT place AS dwelling_id, grid_code, any(town_code) AS town_code, toInt64(sum(population_delta)) AS residents
FROM movements WHERE kind IN ('move_in', 'move_out', 'move_out_settled')
GROUP BY place, grid_code HAVING residents != 0;

-- Where each priority person was last seen (by business time); an empty grid is outside the district.
CREATE VIEW IF NOT EXISTS priority_last_known AS
SELECT subject, any(category) AS category, argMax(grid_code, occurred_at) AS grid_code,
       argMax(town_code, occurred_at) AS town_code, argMax(place, occurred_at) AS place,
       max(occurred_at) AS seen_at
FROM movements
WHERE kind IN ('priority_sighting', 'priority_lodging_check_in', 'priority_transport', 'priority_visit')
GROUP BY subject;

-- Visitors present now per scenic area: today's entries minus exits (areas close at night).
CREATE VIEW IF NOT EXISTS scenic_present_today AS
SELECT area_code, any(grid_code) AS grid_code, any(town_code) AS town_code,
       toInt64(sum(entries) - sum(exits)) AS present, toInt64(sum(entries)) AS entries_today
FROM scenic_gate_counts
WHERE toDate(occurred_at, 'Asia/Shanghai') = (SELECT toDate(max(occurred_at), 'Asia/Shanghai') FROM scenic_gate_counts)
GROUP BY area_code;

-- Visitors present per grid per hour, from the check-in/check-out facts (hours with a change; present carries forward).
CREATE VIEW IF NOT EXISTS visitor_occupancy_hourly AS
SELECT grid_code, town_code, hour, arrivals, departures,
       sum(arrivals - departures) OVER (PARTITION BY grid_code ORDER BY hour) AS present
FROM (
    SELECT grid_code, any(town_code) AS town_code, toStartOfHour(occurred_at) AS hour,
           toInt64(sumIf(visitors_delta, visitors_delta > 0)) AS arrivals,
           toInt64(-sumIf(visitors_delta, visitors_delta < 0)) AS departures
    FROM movements
    WHERE kind IN ('visitor_check_in', 'visitor_check_out')
    GROUP BY grid_code, hour
);

-- Active leases per grid.
CREATE VIEW IF NOT EXISTS active_leases AS
SELECT grid_code, any(town_code) AS town_code, toInt64(sum(lease_delta)) AS active_leases
FROM movements WHERE kind IN ('lease_start', 'lease_end') GROUP BY grid_code;

-- What the intake did with every message position (from the event store's intake cursors).
CREATE TABLE IF NOT EXISTS intake_ledger (
    notification_id UInt64,
    recorded_at     DateTime64(3, 'UTC'),
    source          LowCardinality(String),
    first_position  Int64,
    last_position   Int64,
    accepted        UInt32,
    duplicates      UInt32,
    rejected        UInt32,
    waited_ms       UInt32  -- how long the stretch's oldest message waited in Kafka (0: not known)
) ENGINE = MergeTree ORDER BY (source, notification_id);

CREATE TABLE IF NOT EXISTS intake_rejects (
    notification_id UInt64,
    seq             UInt32,
    recorded_at     DateTime64(3, 'UTC'),
    source          LowCardinality(String),
    position        Int64,
    message_id      String,
    reason          LowCardinality(String)
) ENGINE = MergeTree ORDER BY (reason, notification_id, seq);

-- People forgotten on request: rows that named them by subject now say 'forgotten' (counts unchanged).
CREATE TABLE IF NOT EXISTS erasures (
    notification_id UInt64,
    recorded_at     DateTime64(3, 'UTC'),
    subject         String
) ENGINE = MergeTree ORDER BY (notification_id, subject);

-- How far the projector has read; chain_digest: the event chain's digest there, an anchor for `gridflow verify`.
CREATE TABLE IF NOT EXISTS projection_position (
    projector    String,
    position     UInt64,
    updated_at   DateTime64(3, 'UTC'),
    chain_digest String,
    store_head   UInt64  -- the event store's last notification when the batch was read: lag = store_head - position
) ENGINE = ReplacingMergeTree(position)
ORDER BY projector;

-- Alerts: one row per alert event (raised, repeated, acknowledged, resolved, escalated); alerts_current folds them.
CREATE TABLE IF NOT EXISTS alert_events (
    notification_id UInt64,
    alert_id        String,
    kind            LowCardinality(String),
    at              DateTime64(3, 'UTC'),
    fingerprint     String,
    rule_id         LowCardinality(String),
    severity        LowCardinality(String),
    grid_code       LowCardinality(String),
    town_code       LowCardinality(String),
    level           LowCardinality(String),
    actor           String,
    role            LowCardinality(String),
    note            String,
    summary         String,
    evidence        String,
    within_sla      UInt8,
    ack_sla_s       UInt32,
    source          LowCardinality(String)
) ENGINE = MergeTree ORDER BY (alert_id, notification_id);

CREATE VIEW IF NOT EXISTS alerts_current AS
SELECT alert_id,
       anyIf(fingerprint, kind = 'raised') AS fingerprint, anyIf(rule_id, kind = 'raised') AS rule_id,
       anyIf(severity, kind = 'raised') AS severity, anyIf(grid_code, kind = 'raised') AS grid_code,
       anyIf(town_code, kind = 'raised') AS town_code, anyIf(summary, kind = 'raised') AS summary,
       argMaxIf(evidence, notification_id, kind IN ('raised', 'repeated')) AS evidence,
       anyIf(source, kind = 'raised') AS source, anyIf(ack_sla_s, kind = 'raised') AS ack_sla_s,
       minIf(at, kind = 'raised') AS raised_at, countIf(kind = 'repeated') AS repeats,
       argMaxIf(level, notification_id, kind IN ('raised', 'escalated')) AS level,
       countIf(kind = 'escalated') AS escalations,
       anyIf(actor, kind = 'acknowledged') AS acknowledged_by, anyIf(note, kind = 'acknowledged') AS ack_note,
       minIf(at, kind = 'acknowledged') AS acknowledged_at, maxIf(within_sla, kind = 'acknowledged') AS ack_within_sla,
       anyIf(actor, kind = 'resolved') AS resolved_by, anyIf(note, kind = 'resolved') AS outcome,
       minIf(at, kind = 'resolved') AS resolved_at,
       multiIf(countIf(kind = 'resolved') > 0, 'resolved', countIf(kind = 'acknowledged') > 0, 'acknowledged',
               'open') AS status
FROM alert_events GROUP BY alert_id;

-- Every read of person-level data and every denial (who, what, when, why).
CREATE TABLE IF NOT EXISTS access_log (
    notification_id UInt64,
    at              DateTime64(3, 'UTC'),
    account         String,
    role            LowCardinality(String),
    action          LowCardinality(String),
    resource        String,
    allowed         UInt8,
    reason          String
) ENGINE = MergeTree ORDER BY (at, notification_id);

-- What the projector had to change to write a row (a value outside its column's range, a missing value) or could
-- not project at all (an event that does not decode): never silently, never by stopping.
CREATE TABLE IF NOT EXISTS projection_anomalies (
    notification_id UInt64,
    seq             UInt32,
    topic           LowCardinality(String),
    target          LowCardinality(String),
    action          LowCardinality(String),
    reason          LowCardinality(String),
    value           String
) ENGINE = MergeTree ORDER BY (notification_id, seq);
