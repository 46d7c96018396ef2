SELECT
  profiles.profile_id
FROM profiles
WHERE
  (
    NOT (
      profiles.profile_id IN (
        SELECT
          e.profile_id
        FROM profile_events AS e
        WHERE
          e.event = :p1
          AND `e`.`timestamp` >= CAST(:now AS TIMESTAMP) - INTERVAL '60' DAY
          AND `e`.`timestamp` <= CAST(:now AS TIMESTAMP)
      )
    )
    AND profiles.profile_id IN (
      SELECT
        e.profile_id
      FROM profile_events AS e
      WHERE
        e.event = :p1
      GROUP BY
        e.profile_id
      HAVING
        COUNT(*) >= :p2
    )
  )
