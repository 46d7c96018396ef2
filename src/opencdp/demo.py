"""Demo data: a small, deterministic shop's web and app traffic as Segment messages.

Enough to see every message type in the event log on first start; the full multi-source
generator with ground truth arrives with the batch-import stage.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCTS = [
    ("sku-tea", "Jasmine Tea", "Drinks", 4.5), ("sku-rice", "Jasmine Rice 5kg", "Pantry", 12.0),
    ("sku-bowl", "Ceramic Bowl", "Kitchen", 9.9), ("sku-mat", "Yoga Mat", "Sport", 25.0),
    ("sku-sauce", "Fish Sauce", "Pantry", 3.2),
]  # fmt: skip
PEOPLE = [
    ("Somchai", "Jaidee", "TH", "th-TH"), ("Yuki", "Tanaka", "JP", "ja-JP"),
    ("Emma", "Smith", "GB", "en-GB"), ("Napat", "Srisuk", "TH", "th-TH"),
    ("Haruto", "Sato", "JP", "ja-JP"), ("Liam", "Jones", "US", "en-US"),
]  # fmt: skip


def demo_messages(people: int = 30, seed: int = 7) -> list[dict[str, Any]]:
    """Visits, sign-ups (alias + identify), product views and orders for `people` visitors."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    start = datetime(2026, 1, 1, tzinfo=UTC)
    messages: list[dict[str, Any]] = []
    for n in range(people):
        first, last, country, locale = PEOPLE[n % len(PEOPLE)]
        anonymous_id = f"anon-{n:04d}"
        user_id = f"user-{n:04d}"
        when = start + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1440))
        context = {"locale": locale, "library": {"name": "opencdp-demo", "version": "1"}}

        def add(kind: str, context: dict[str, Any] = context, **fields: Any) -> None:
            nonlocal when
            when += timedelta(minutes=rng.randint(1, 90))
            messages.append(
                {
                    "type": kind,
                    "messageId": f"demo-{len(messages):06d}",
                    "timestamp": when.isoformat(),
                    "context": context,
                    **fields,
                }
            )

        add("page", anonymousId=anonymous_id, name="Home", properties={"path": "/"})
        for product_id, product, category, price in rng.sample(PRODUCTS, 2):
            add("track", anonymousId=anonymous_id, event="Product Viewed",
                properties={"product_id": product_id, "name": product, "category": category,
                            "price": price})  # fmt: skip
        if rng.random() < 0.6:
            add("alias", previousId=anonymous_id, userId=user_id)
            add("identify", userId=user_id, anonymousId=anonymous_id,
                traits={"email": f"{first.lower()}.{last.lower()}{n}@example.com",
                        "first_name": first, "last_name": last, "country": country,
                        "email_opt_in": rng.random() < 0.7})  # fmt: skip
            product_id, product, category, price = rng.choice(PRODUCTS)
            quantity = rng.randint(1, 3)
            add("track", userId=user_id, event="Order Completed",
                properties={"order_id": f"o-{n:05d}", "revenue": round(price * quantity, 2),
                            "currency": "USD", "products": [
                                {"product_id": product_id, "category": category,
                                 "quantity": quantity, "price": price}]})  # fmt: skip
            add("screen", userId=user_id, name="Order Status")
            add("group", userId=user_id, groupId=f"household-{n // 3}")
    return messages


# Segments a new user finds in the demo, one of each kind of condition.
DEMO_SEGMENTS = {
    "thai-customers": 'country = "TH"',
    "buyers": 'did("Order Completed")',
    "newsletter-buyers": 'consent("email") and in_segment("buyers")',
}
