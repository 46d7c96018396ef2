-- collect/sources: a key of what was refused (source, stage, payload), so a retried or
-- re-imported bad record is quarantined once while it is pending, not once per attempt.
ALTER TABLE quarantine ADD COLUMN record_key UBIGINT;
