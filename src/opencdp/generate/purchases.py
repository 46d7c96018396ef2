"""What people bought: one stream of purchases shared by the shop export and the web events.

Purchases are drawn from their own seeded stream so that the orders file and the
`Order Completed` events agree on order ids, whichever sources a run writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

from opencdp.generate.config import PERIOD_END
from opencdp.generate.people import Person


class Product(NamedTuple):
    product_id: str
    name: str
    category: str
    usd: float


CATALOG = (
    Product("sku-1001", "Jasmine Tea 100g", "Grocery", 6.5),
    Product("sku-1002", "Jasmine Rice 5kg", "Grocery", 14.0),
    Product("sku-1003", "Matcha Powder", "Grocery", 18.0),
    Product("sku-1004", "Fish Sauce 700ml", "Grocery", 3.2),
    Product("sku-1005", "Instant Ramen 5-pack", "Grocery", 5.9),
    Product("sku-2001", "Ceramic Bowl Set", "Home & Kitchen", 24.9),
    Product("sku-2002", "Rice Cooker 1.8L", "Home & Kitchen", 89.0),
    Product("sku-2003", "Chef Knife", "Home & Kitchen", 45.0),
    Product("sku-2004", "Bamboo Cutting Board", "Home & Kitchen", 19.5),
    Product("sku-3001", "Yoga Mat", "Sports", 29.0),
    Product("sku-3002", "Running Shoes", "Sports", 95.0),
    Product("sku-3003", "Water Bottle 1L", "Sports", 15.0),
    Product("sku-4001", "Wireless Earbuds", "Electronics", 79.0),
    Product("sku-4002", "Phone Case", "Electronics", 12.0),
    Product("sku-4003", "USB-C Charger 65W", "Electronics", 35.0),
    Product("sku-4004", "Smart Watch", "Electronics", 199.0),
    Product("sku-5001", "Cotton T-Shirt", "Fashion", 14.0),
    Product("sku-5002", "Linen Shirt", "Fashion", 39.0),
    Product("sku-5003", "Denim Jeans", "Fashion", 59.0),
    Product("sku-5004", "Canvas Tote Bag", "Fashion", 18.0),
    Product("sku-6001", "Sunscreen SPF50", "Beauty", 16.0),
    Product("sku-6002", "Sheet Mask 10-pack", "Beauty", 12.5),
    Product("sku-6003", "Hair Oil", "Beauty", 22.0),
    Product("sku-7001", "Dog Food 3kg", "Pets", 27.0),
    Product("sku-7002", "Cat Litter 10L", "Pets", 11.0),
    Product("sku-8001", "Picture Book", "Books", 9.9),
    Product("sku-8002", "Cookbook: Thai Home Cooking", "Books", 25.0),
    Product("sku-8003", "Manga Vol. 1", "Books", 7.5),
)
# currency, units per USD, decimals
CURRENCY = {
    "US": ("USD", 1.0, 2),
    "GB": ("GBP", 0.79, 2),
    "TH": ("THB", 35.0, 0),
    "JP": ("JPY", 150.0, 0),
}
CHANNELS = ("web", "app", "store", "marketplace", "phone")
CHANNEL_CUM_WEIGHTS = (0.45, 0.65, 0.9, 0.95, 1.0)


@dataclass(slots=True)
class Purchase:
    order_id: str
    product: Product
    quantity: int
    unit_price: float
    currency: str
    channel: str
    ts: int

    @property
    def total(self) -> float:
        return round(self.unit_price * self.quantity, 2)


def local_price(product: Product, country: str) -> tuple[float, str]:
    currency, rate, decimals = CURRENCY[country]
    price = round(product.usd * rate, decimals)
    return (price - 0.01 if decimals and country == "GB" else price), currency


class PurchaseFactory:
    """Deterministic purchases per person, in person order; a share of people never buy."""

    def __init__(self, seed: int, buyers: float) -> None:
        self.rng = random.Random(f"{seed}:purchases")  # noqa: S311 - synthetic data, not secrets
        self.buyers = buyers
        self.orders = 0

    def for_person(self, person: Person) -> list[Purchase]:
        r = self.rng.random
        if r() >= self.buyers:
            return []
        count = 1
        while r() < 0.65 and count < 40:
            count += 1
        span = PERIOD_END - person.since
        times = sorted(person.since + int(r() * span) for _ in range(count))
        purchases = []
        for ts in times:
            self.orders += 1
            product = CATALOG[int(r() * len(CATALOG))]
            price, currency = local_price(product, person.country)
            quantity = 1 if r() < 0.7 else 2 + int(r() * 3)
            channel = self.rng.choices(CHANNELS, cum_weights=CHANNEL_CUM_WEIGHTS)[0]
            purchases.append(
                Purchase(f"O{self.orders:09d}", product, quantity, price, currency, channel, ts)
            )
        return purchases
