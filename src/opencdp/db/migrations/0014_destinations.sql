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
