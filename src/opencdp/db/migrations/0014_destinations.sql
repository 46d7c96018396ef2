-- activation: destinations, what each has been sent, every sync, and undeliverable batches.
CREATE TABLE destinations (
    destination_id  VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL UNIQUE,
    kind            VARCHAR NOT NULL,
    purpose         VARCHAR NOT NULL,
    segment_id      VARCHAR NOT NULL,
    config          JSON NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT true,
    schedule_minutes INTEGER,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- What each destination currently holds: one row per profile last delivered to it, with a
-- fingerprint of the values sent, so an incremental sync sends only who entered, left or
-- changed. Written only after a delivery succeeded.
CREATE TABLE destination_state (
    destination_id  VARCHAR NOT NULL,
    profile_id      VARCHAR NOT NULL,
    fingerprint     UBIGINT NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL
);
-- Every sync: when, how, what it sent and how it ended ('running' → 'completed' | 'partial' |
-- 'failed'); errors hold reasons only, never personal data.
CREATE TABLE destination_syncs (
    sync_id             VARCHAR PRIMARY KEY,
    destination_id      VARCHAR NOT NULL,
    mode                VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ,
    sent                BIGINT NOT NULL DEFAULT 0,
    added               BIGINT NOT NULL DEFAULT 0,
    updated             BIGINT NOT NULL DEFAULT 0,
    removed             BIGINT NOT NULL DEFAULT 0,
    skipped_no_consent  BIGINT NOT NULL DEFAULT 0,
    errors              JSON
);
-- Webhook batches that still failed after every retry, kept for listing and replay with the
-- same idempotency key. A later successful sync re-sends the same changes (state was not
-- updated), so it marks the pending letters of its destination 'superseded'.
CREATE TABLE destination_dead_letters (
    letter_id        VARCHAR PRIMARY KEY,
    destination_id   VARCHAR NOT NULL,
    sync_id          VARCHAR NOT NULL,
    idempotency_key  VARCHAR NOT NULL,
    body             VARCHAR NOT NULL,
    members          JSON NOT NULL,      -- [[profile_id, change, fingerprint], ...]
    attempts         INTEGER NOT NULL,
    last_error       VARCHAR NOT NULL,
    failed_at        TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL DEFAULT 'pending',   -- 'pending' | 'replayed' | 'superseded'
    replayed_at      TIMESTAMPTZ
);
-- Profiles that must never be sent anywhere (erasure, objection, do-not-contact); the privacy
-- stage fills it, every destination sync excludes it.
CREATE TABLE suppressed_profiles (
    profile_id  VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    suppressed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
