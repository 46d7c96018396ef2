-- sources: the mapping each import ran with, so a quarantined row can be fixed and
-- replayed through the same rules later.
ALTER TABLE imports ADD COLUMN mapping JSON;
