-- profiles: a copy of profile_events stored in profile-key order, so the events of a few
-- profiles (a real-time update, one profile's timeline) are read from a handful of row groups
-- instead of scanning every event. profile_events itself stays in event/time order for
-- segments. Rows committed after the last ordering (derived_cursors 'profile_events_sorted')
-- are only in profile_events, at its end.
CREATE TABLE profile_events_by_profile AS SELECT * FROM profile_events ORDER BY profile_key;
