-- audit: who accessed which customer data, when, from where and why; append-only and
-- hash-chained (each entry's keyed hash covers its fields and the previous entry's hash).
-- Profiles appear only as keyed hashes (lookups) and sealed ids (AES-GCM, shown in reports),
-- so an erased person leaves no readable id here while their access history stays provable.
CREATE TABLE audit_log (
    seq              BIGINT NOT NULL,
    occurred_at      TIMESTAMPTZ NOT NULL,
    channel          VARCHAR NOT NULL,
    actor_kind       VARCHAR NOT NULL,
    actor_name       VARCHAR NOT NULL,
    actor_role       VARCHAR,
    token_id         VARCHAR,
    action           VARCHAR NOT NULL,
    target_kind      VARCHAR,
    target           VARCHAR,
    profile_keys     VARCHAR[] NOT NULL,
    profiles_sealed  VARCHAR,
    route            VARCHAR,
    client_ip        VARCHAR,
    user_agent       VARCHAR,
    reason           VARCHAR,
    status           INTEGER,
    outcome          VARCHAR NOT NULL,
    details          VARCHAR NOT NULL,
    prev_hash        VARCHAR NOT NULL,
    entry_hash       VARCHAR NOT NULL
);
-- Unusual access: an actor reading or exporting far more than their own trailing baseline.
CREATE TABLE audit_alerts (
    alert_id     VARCHAR PRIMARY KEY,
    raised_at    TIMESTAMPTZ NOT NULL,
    actor_kind   VARCHAR NOT NULL,
    actor_name   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    day          DATE NOT NULL,
    accesses     INTEGER NOT NULL,
    baseline     DOUBLE NOT NULL,
    threshold    INTEGER NOT NULL
);
