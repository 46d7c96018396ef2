"""A population of profiles and their resolved events, written straight into the tables.

Collecting and resolving 20,000,000 events through the pipeline takes longer on this laptop
than the whole benchmark may (see bench/ingest and bench/identity for those stages), so the
segment benchmark fills the tables segments read — `profiles`, `profile_events`,
`identity_links`, `profile_consents` — with the shapes the generator's people have: English,
Thai and Japanese customers, web browsing, orders with totals, e-mail campaigns, consent.
"""

from __future__ import annotations

import duckdb

EVENTS = ("Page Viewed", "Product Viewed", "Order Completed", "Email Sent", "Email Opened",
          "Email Link Clicked", "Added to Cart", "Signed In")  # fmt: skip
# Cumulative shares of the event names above (orders ~8 %, e-mail ~25 %).
SHARES = (0.40, 0.60, 0.68, 0.83, 0.91, 0.93, 0.98, 1.0)

PROFILES_SQL = """
INSERT INTO profiles
SELECT 'prof_' || lpad(i::VARCHAR, 8, '0'),
       json_object('email', 'user' || i || '@mail.example', 'first_name', 'Name' || (i % 997),
                   'country', (['TH', 'TH', 'TH', 'JP', 'JP', 'US', 'GB', 'TH', 'JP',
                                'US'])[1 + i % 10],
                   'city', (['Bangkok', 'Chiang Mai', 'Tokyo', 'Osaka', 'London',
                             'Austin'])[1 + i % 6],
                   'birth_date', (DATE '1950-01-01' + (i % 20000)::INT)::VARCHAR,
                   'plan', (['free', 'basic', 'pro'])[1 + (i * 7) % 3],
                   'email_opt_in', (hash(i) % 10) < 6),
       NULL, NULL, TIMESTAMPTZ '2025-01-01' + to_days((i % 300)::INT), $now, $now
FROM range($profiles) t(i)
"""

LINKS_SQL = """
INSERT INTO identity_links
SELECT 'email', 'user' || i || '@mail.example', 'prof_' || lpad(i::VARCHAR, 8, '0')
FROM range($profiles) t(i)
UNION ALL
SELECT 'user_id', 'u' || i, 'prof_' || lpad(i::VARCHAR, 8, '0') FROM range($profiles) t(i)
"""

CONSENTS_SQL = """
INSERT INTO profile_consents (profile_id, purpose, granted, stated_at, origin)
SELECT profile_id, 'email_marketing', (traits ->> 'email_opt_in')::BOOLEAN, first_seen, 'trait'
FROM profiles
"""

# Each event picks a profile (skewed: some people are far more active), a name by SHARES and a
# time within the last year; orders carry a total and a currency.
EVENTS_SQL = """
INSERT INTO profile_events
SELECT *, md5_number_upper(profile_id) FROM (
SELECT 'prof_' || lpad(((hash(i) % $profiles) * (hash(i * 3) % 1000) // 1000)::VARCHAR, 8, '0')
         AS profile_id,
       i + 1, 'web', CASE WHEN name = 'Page Viewed' THEN 'page' ELSE 'track' END,
       CASE WHEN name = 'Page Viewed' THEN NULL ELSE name END AS event,
       $now - to_seconds((hash(i * 7) % 31536000)::BIGINT) AS "timestamp",
       CASE WHEN name = 'Order Completed'
            THEN json_object('total', (hash(i * 11) % 20000) / 100.0, 'currency', 'THB',
                             'product', 'sku-' || (hash(i * 13) % 500))
            WHEN name IN ('Product Viewed', 'Added to Cart')
            THEN json_object('product', 'sku-' || (hash(i * 13) % 500)) END,
       NULL, NULL
FROM (SELECT i, CASE {cases} END AS name
      FROM (SELECT i, (hash(i * 5) % 1000000) / 1000000.0 AS r FROM range($events) t(i))))
ORDER BY event, "timestamp"  -- as a rebuild stores it (opencdp.profiles.event_order)
"""


def fill(con: duckdb.DuckDBPyConnection, profiles: int, events: int, now: object) -> None:
    cases = " ".join(f"WHEN r < {share} THEN '{name}'"
                     for name, share in zip(EVENTS, SHARES, strict=True))
    params = {"profiles": profiles, "now": now}
    con.execute(PROFILES_SQL, params)
    con.execute(LINKS_SQL, {"profiles": profiles})
    con.execute(CONSENTS_SQL)
    con.execute(EVENTS_SQL.format(cases=cases),
                {"profiles": profiles, "events": events, "now": now})
