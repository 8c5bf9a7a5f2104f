-- gridflow read models, created inside the client's database (an Atomic database of our own, made by
-- projections.projector.open_database; chdb's default database is Overlay).
-- Every projected row carries the notification id it came from: after a crash the projector deletes rows past
-- its tracking position and re-projects them, so no row is lost or counted twice.
-- One row per residency / lease / visitor / priority-person fact; pseudonyms and codes only, never identities.
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
    message_id       String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (town_code, grid_code, occurred_at, notification_id, seq)
-- lightweight UPDATE (for erasures) needs the block number/offset columns
SETTINGS enable_block_number_column = 1, enable_block_offset_column = 1;

-- Current registered residents per grid (current state: the newest version per grid wins).
CREATE TABLE IF NOT EXISTS grid_population (
    grid_code    String,
    village_code LowCardinality(String),
    town_code    LowCardinality(String),
    residents    Int64,
    version      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY grid_code;

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
    rejected        UInt32
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

CREATE TABLE IF NOT EXISTS projection_position (
    projector  String,
    position   UInt64,
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(position)
ORDER BY projector;
