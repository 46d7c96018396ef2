-- collect: messages that failed validation, kept with the reason until fixed and replayed.
CREATE SEQUENCE quarantine_id_seq START 1;
CREATE TABLE quarantine (
    quarantine_id  BIGINT PRIMARY KEY DEFAULT nextval('quarantine_id_seq'),
    source_id      VARCHAR NOT NULL,
    stage          VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    payload        VARCHAR NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    status         VARCHAR NOT NULL DEFAULT 'pending',
    resolved_at    TIMESTAMPTZ
);
