"""The computed traits every workspace starts with (`builtin = true` in `computed_traits`).

Orders are 'Order Completed' events valued by `total`, else `revenue`, else price × quantity
(the `order_amount` field); e-mail engagement comes from 'Email Sent' / 'Email Opened' /
'Email Link Clicked' events counted once per campaign; satisfaction and NPS from imported
survey and ticket records (traits `nps`, `satisfaction`, `rating`).
"""

from __future__ import annotations

from typing import Any

ORDER = "Order Completed"
# Types that are someone doing something; identify/group/alias only describe them.
INTERACTIONS = ["track", "page", "screen"]

BUILTIN_TRAITS: dict[str, dict[str, Any]] = {
    "last_seen": {"aggregate": "max", "field": "timestamp"},
    "first_seen": {"aggregate": "min", "field": "timestamp"},
    "channels_used": {"aggregate": "distinct_list", "field": "source_id", "type": INTERACTIONS},
    "order_count": {"aggregate": "count", "event": ORDER},
    "total_spent": {"aggregate": "sum", "event": ORDER, "field": "order_amount"},
    "average_order_value": {"aggregate": "avg", "event": ORDER, "field": "order_amount"},
    "last_order_at": {"aggregate": "max", "event": ORDER, "field": "timestamp"},
    "rfm": {"builtin": "rfm", "event": ORDER},
    "email_open_rate": {"builtin": "rate", "event": "Email Opened", "per": "Email Sent",
                        "distinct_property": "campaign_id"},
    "email_click_rate": {"builtin": "rate", "event": "Email Link Clicked", "per": "Email Sent",
                         "distinct_property": "campaign_id"},
    "nps": {"aggregate": "last", "source": "records", "property": "nps", "as": "number",
            "where": [{"property": "nps", "op": ">=", "value": 0},
                      {"property": "nps", "op": "<=", "value": 10}]},
    "nps_category": {"builtin": "nps_category", "property": "nps"},
    "satisfaction": {"aggregate": "avg", "source": "records",
                     "property": ["satisfaction", "rating"]},
}  # fmt: skip
