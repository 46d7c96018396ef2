"""Shop orders (CSV): one row per order, referring to the buyer in whatever way the shop knew.

Members carry the shop's own customer id; guest checkouts only an e-mail; store and phone
orders often only a phone number and a name. Re-exports leave exact duplicate rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from opencdp.generate.formats import format_datetime, format_phone
from opencdp.generate.people import Person
from opencdp.generate.purchases import Purchase
from opencdp.generate.writer import CsvSourceWriter

HEADER = (
    "order_id",
    "customer_id",
    "email",
    "phone",
    "customer_name",
    "product_id",
    "product",
    "category",
    "quantity",
    "unit_price",
    "currency",
    "total",
    "channel",
    "ship_city",
    "ship_postcode",
    "ordered_at",
)
CURRENCY_VARIANTS = {
    "THB": ("THB", "฿", "baht", "บาท"),
    "JPY": ("JPY", "¥", "円", "yen"),
    "USD": ("USD", "$", "usd", "US$"),
    "GBP": ("GBP", "£", "gbp", "UKP"),
}


def _money(value: float, currency: str) -> str:
    return f"{value:.0f}" if currency in ("THB", "JPY") else f"{value:.2f}"


class OrdersWriter(CsvSourceWriter):
    header = HEADER
    source = "orders"
    file_name = "orders.csv"
    record_id = "order_id"

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        for purchase in purchases:
            if not self._order(person, purchase):
                return

    def _order(self, person: Person, p: Purchase) -> bool:
        r = self.rng.random
        rates, corrupt = self.rates, self.corrupt
        tags: list[str] = []
        offline = p.channel in ("store", "phone")
        mode = r()
        customer_id = email = phone = ""
        if offline and mode < 0.6:  # only a phone number at the till or on the phone
            phone = corrupt.phone_placeholder(tags) or format_phone(
                self.rng, person.country, person.phone, rates
            )
        elif mode < 0.65:  # a member: the shop's own id, usually with the account e-mail
            customer_id = person.shop_id
            email = corrupt.blank(corrupt.email(person, tags), tags)
        else:  # a guest checkout: an e-mail and maybe a phone
            email = corrupt.email(person, tags)
            if r() < 0.3:
                phone = format_phone(self.rng, person.country, person.phone, rates)
        name = corrupt.blank(corrupt.full_name(person, tags), tags)
        address = person.address
        if person.old_address is not None and p.ts < person.since + 86400 * 200 and r() < 0.5:
            address = person.old_address
            tags.append("old_address")
        quantity = p.quantity
        if r() < rates.placeholder:
            quantity = -quantity
            tags.append("negative_quantity")
        currency = p.currency
        if r() < rates.value_variant:
            currency = self.rng.choice(CURRENCY_VARIANTS[currency])
        row = (
            p.order_id,
            customer_id,
            email,
            phone,
            name,
            p.product.product_id,
            p.product.name,
            p.product.category,
            str(quantity),
            _money(p.unit_price, p.currency),
            currency,
            _money(p.unit_price * quantity, p.currency),
            p.channel,
            corrupt.blank(address.city, tags),
            corrupt.blank(address.postcode, tags),
            format_datetime(self.rng, p.ts, person.country, rates),
        )
        if not self.sink.write(row):
            return False
        self.truth.record(self.source, p.order_id, person.person_id, tags)
        if r() < rates.duplicate:  # a re-export: the very same row again
            self.sink.write(row)
        return True
