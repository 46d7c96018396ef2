SELECT
  profiles.profile_id
FROM profiles
WHERE
  (
    COALESCE((
      (
        profiles.traits ->> $p1
      ) = $p2
    ), FALSE)
    AND profiles.profile_id IN (
      SELECT
        e.profile_id
      FROM profile_events AS e
      WHERE
        e.event = $p3
        AND "e"."timestamp" >= CAST($now AS TIMESTAMPTZ) - INTERVAL '30' DAY
        AND "e"."timestamp" <= CAST($now AS TIMESTAMPTZ)
      GROUP BY
        e.profile_id
      HAVING
        COUNT(*) >= $p4
    )
    AND profiles.profile_id IN (
      SELECT
        e.profile_id
      FROM profile_events AS e
      WHERE
        e.event = $p5
        AND "e"."timestamp" >= CAST($now AS TIMESTAMPTZ) - INTERVAL '7' DAY
        AND "e"."timestamp" <= CAST($now AS TIMESTAMPTZ)
    )
    AND profiles.profile_id IN (
      SELECT
        c.profile_id
      FROM profile_consents AS c
      WHERE
        (
          c.purpose = $p6 AND c.granted
        )
        AND (
          c.expires_at IS NULL OR c.expires_at > CAST($now AS TIMESTAMPTZ)
        )
    )
    AND NOT (
      profiles.profile_id IN (
        SELECT
          c.profile_id
        FROM segment_members AS c
        WHERE
          c.segment_id = $p7
      )
    )
  )
