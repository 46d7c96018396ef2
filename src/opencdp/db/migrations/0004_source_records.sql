-- sources: records imported from files and databases, one row per source record.
-- record_key is the 64-bit key (opencdp.keys) of source_id, NUL, record_id; re-importing the same
-- record replaces it only when its content changed (content_hash), so imports are idempotent.
CREATE TABLE source_records (
    source_id     VARCHAR NOT NULL,
    record_id     VARCHAR NOT NULL,
    record_key    UBIGINT NOT NULL,
    content_hash  UBIGINT NOT NULL,
    import_id     VARCHAR NOT NULL,
    identifiers   JSON,
    traits        JSON,
    original      JSON NOT NULL,
    fixes         JSON,
    imported_at   TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
-- One row per import run: what was read, stored, quarantined and why.
CREATE TABLE imports (
    import_id     VARCHAR PRIMARY KEY,
    source_id     VARCHAR NOT NULL,
    location      VARCHAR NOT NULL,
    format        VARCHAR,
    encoding      VARCHAR,
    status        VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    records_stored BIGINT NOT NULL DEFAULT 0,
    events_stored BIGINT NOT NULL DEFAULT 0,
    unchanged     BIGINT NOT NULL DEFAULT 0,
    quarantined   BIGINT NOT NULL DEFAULT 0,
    cursor_value  VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);
