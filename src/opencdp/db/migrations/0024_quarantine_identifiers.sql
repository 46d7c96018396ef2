-- collect/quarantine: the identifiers a quarantined payload mentions, in their stored form
-- (pseudonyms when field encryption is on), so an erasure finds a person's rows without
-- reading payloads that are sealed at rest. NULL for rows quarantined before this column.
ALTER TABLE quarantine ADD COLUMN identifiers VARCHAR[];
