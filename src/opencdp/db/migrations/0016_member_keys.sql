-- segments: the members' 64-bit profile keys (as profile_events.profile_key), so real-time
-- updates find the few touched profiles among millions of memberships by integer.
ALTER TABLE segment_members ADD COLUMN profile_key UBIGINT;
UPDATE segment_members SET profile_key = md5_number_upper(profile_id);
