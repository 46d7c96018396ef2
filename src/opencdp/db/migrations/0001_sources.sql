-- collect: the sources that may send data, each with its write key and limits.
CREATE TABLE sources (
    source_id        VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL UNIQUE,
    write_key        VARCHAR NOT NULL UNIQUE,
    enabled          BOOLEAN NOT NULL DEFAULT true,
    max_message_bytes INTEGER,
    max_batch_bytes   INTEGER,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    key_rotated_at   TIMESTAMPTZ
);
