SELECT
  profiles.profile_id
FROM profiles
WHERE
  profiles.profile_id IN (
    SELECT
      s2.profile_id
    FROM (
      SELECT
        s1.profile_id,
        s1.start,
        MIN(`e`.`timestamp`) AS t
      FROM profile_events AS e
      JOIN (
        SELECT DISTINCT
          e.profile_id,
          `e`.`timestamp` AS start,
          `e`.`timestamp` AS t
        FROM profile_events AS e
        WHERE
          e.event = :p1 AND COALESCE((
            GET_JSON_OBJECT(e.properties, :p2) = :p3
          ), FALSE)
      ) AS s1
        ON e.profile_id = s1.profile_id
        AND `e`.`timestamp` > s1.t
        AND `e`.`timestamp` <= s1.start + INTERVAL '7' DAY
      WHERE
        e.event = :p4
      GROUP BY
        s1.profile_id,
        s1.start
    ) AS s2
  )
