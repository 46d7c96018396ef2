SELECT
  profiles.profile_id
FROM profiles
WHERE
  (
    profiles.profile_id IN (
      SELECT
        s.profile_id
      FROM (
        SELECT
          c.profile_id,
          ARG_MAX(c.value, c.scored_at) AS value,
          ARG_MAX(c.label, c.scored_at) AS label
        FROM profile_predictions AS c
        WHERE
          c.prediction = $p1
        GROUP BY
          c.profile_id
      ) AS s
      WHERE
        COALESCE((
          s.value > $p2
        ), FALSE)
    )
    OR profiles.profile_id IN (
      SELECT
        s.profile_id
      FROM (
        SELECT
          c.profile_id,
          ARG_MAX(c.value, c.scored_at) AS value,
          ARG_MAX(c.label, c.scored_at) AS label
        FROM profile_predictions AS c
        WHERE
          c.prediction = $p1
        GROUP BY
          c.profile_id
      ) AS s
      WHERE
        COALESCE((
          s.label = $p3
        ), FALSE)
    )
    OR COALESCE((
      TRY_CAST(profiles.computed ->> $p4 AS DOUBLE) < $p5
    ), FALSE)
  )
