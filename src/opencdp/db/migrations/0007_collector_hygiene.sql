-- hygiene for collected events: the region a source's phone numbers default to, and per event
-- what the trait normalisers fixed or refused, with the original values.
ALTER TABLE sources ADD COLUMN default_region VARCHAR;
ALTER TABLE events ADD COLUMN fixes JSON;
