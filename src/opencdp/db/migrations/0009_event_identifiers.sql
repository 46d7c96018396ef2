-- identity: each event's identifiers as `type:value`, extracted once at ingestion so that
-- resolution and rebuilds never parse the event's JSON again. Existing events are filled in.
ALTER TABLE events ADD COLUMN identifiers VARCHAR[];
UPDATE events SET identifiers = nullif(list_distinct(list_filter([
    'user_id:' || user_id,
    'anonymous_id:' || anonymous_id,
    'anonymous_id:' || previous_id,
    CASE WHEN type = 'identify' THEN 'email:' || (traits ->> 'email') END,
    CASE WHEN type = 'identify' THEN 'phone:' || (traits ->> 'phone') END,
    'email:' || (context -> 'traits' ->> 'email'),
    'phone:' || (context -> 'traits' ->> 'phone'),
    'device_id:' || (context -> 'device' ->> 'id')
], lambda x: x IS NOT NULL)), []);
