SELECT
  profiles.profile_id
FROM profiles
WHERE
  (
    profiles.profile_id IN (
      SELECT
        c.profile_id
      FROM identity_links AS c
      WHERE
        c.identifier_type = $p1
        AND COALESCE((
          ENDS_WITH(LOWER(c.identifier_value), LOWER($p2))
        ), FALSE)
    )
    AND COALESCE(
      (
        TRY_CAST(profiles.traits ->> $p3 AS TIMESTAMPTZ) < CAST($now AS TIMESTAMPTZ) - INTERVAL '18' YEAR
      ),
      FALSE
    )
    AND COALESCE((
      (
        profiles.traits ->> $p4
      ) IN ($p5, $p6)
    ), FALSE)
  )
