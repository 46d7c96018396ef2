SELECT
  profiles.profile_id
FROM profiles
WHERE
  (
    profiles.profile_id IN (
      SELECT
        e.profile_id
      FROM profile_events AS e
      WHERE
        e.event = $p1
        AND "e"."timestamp" >= CAST($now AS TIMESTAMPTZ) - INTERVAL '90' DAY
        AND "e"."timestamp" <= CAST($now AS TIMESTAMPTZ)
        AND COALESCE((
          (
            e.properties ->> $p2
          ) = $p3
        ), FALSE)
      GROUP BY
        e.profile_id
      HAVING
        COALESCE(SUM(TRY_CAST(e.properties ->> $p4 AS DOUBLE)), 0) >= $p5
    )
    OR profiles.profile_id IN (
      SELECT
        e.profile_id
      FROM profile_events AS e
      WHERE
        e.event = $p1
      GROUP BY
        e.profile_id
      HAVING
        MAX(TRY_CAST(e.properties ->> $p4 AS DOUBLE)) > $p6
    )
  )
