-- collect: the append-only event log, the source of truth every later stage derives from.
-- seq orders events by commit; later stages keep a cursor on it.
CREATE TABLE events (
    seq                BIGINT NOT NULL,
    source_id          VARCHAR NOT NULL,
    message_id         VARCHAR NOT NULL,
    -- 64-bit key of source_id, NUL, message_id (opencdp.keys): what deduplication compares.
    message_key        UBIGINT NOT NULL,
    type               VARCHAR NOT NULL,
    user_id            VARCHAR,
    anonymous_id       VARCHAR,
    previous_id        VARCHAR,
    group_id           VARCHAR,
    event              VARCHAR,
    name               VARCHAR,
    "timestamp"        TIMESTAMPTZ NOT NULL,
    original_timestamp TIMESTAMPTZ,
    sent_at            TIMESTAMPTZ,
    received_at        TIMESTAMPTZ NOT NULL,
    properties         JSON,
    traits             JSON,
    context            JSON,
    integrations       JSON,
    extra              JSON
);
