"""One person's visits as Segment messages: landing, browsing, sign-up and login, checkout.

Keeps the state that makes journeys realistic — whether the person has signed up yet, on
which devices they are still logged in, which anonymousIds they used — and reports the
identifiers they used to the ground truth when done.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from opencdp.generate.config import PERIOD_END
from opencdp.generate.corruption import Corruptor
from opencdp.generate.devices import SERVER_LIBRARY, Device, uuid4
from opencdp.generate.formats import e164, iso_utc
from opencdp.generate.people import Person
from opencdp.generate.purchases import CATALOG, Product, Purchase, local_price
from opencdp.generate.texts import SEARCH_QUERIES
from opencdp.generate.truth import GroundTruth

Emit = Callable[[int, dict[str, Any], str, list[str]], None]
JUNK_USER_IDS = ("null", "undefined", "0", "anonymous")
REFERRERS = (
    "",
    "https://www.google.com/",
    "https://www.facebook.com/",
    "https://line.me/",
    "https://t.co/",
    "https://www.instagram.com/",
)
CAMPAIGNS = ("Monthly Newsletter", "Flash Sale", "New Arrivals", "Members Only")


def iso_ms(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return f"{iso_utc(seconds)[:-1]}.{millis:03d}Z"


def product_properties(product: Product, country: str, quantity: int = 1) -> dict[str, Any]:
    price, currency = local_price(product, country)
    return {
        "product_id": product.product_id,
        "sku": product.product_id,
        "name": product.name,
        "category": product.category,
        "price": price,
        "quantity": quantity,
        "currency": currency,
    }


class Session:
    """The journey state of one person across their visits (see the module docstring)."""

    def __init__(
        self, rng: random.Random, corrupt: Corruptor, emit: Emit, truth: GroundTruth, person: Person
    ) -> None:
        self.rng = rng
        self.corrupt = corrupt
        self.emit = emit
        self.truth = truth
        self.person = person
        self.locale = person.locale.replace("_", "-")
        self.signed_up = False
        self.logged_in: set[str] = set()  # personal devices that stay logged in
        self.devices: dict[str, None] = {}  # anonymousIds used, in order
        self.user_id_used = False
        self.ms = 0

    def _send(
        self,
        kind: str,
        device: Device | None,
        user_id: str | None,
        body: dict[str, Any],
        page: dict[str, str] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self.ms += 2000 + int(self.rng.random() * 90_000)
        message: dict[str, Any] = {"type": kind, "messageId": uuid4(self.rng)}
        if device is not None:
            message["anonymousId"] = device.anonymous_id
            self.devices[device.anonymous_id] = None
        if user_id is not None:
            message["userId"] = user_id
            self.user_id_used = self.user_id_used or user_id == self.person.user_id
        message.update(body)
        context: dict[str, Any] = (
            dict(device.context) if device is not None else {"library": SERVER_LIBRARY}
        )
        if device is not None:
            context["ip"] = device.ip
        context["locale"] = self.locale
        if page is not None:
            context["page"] = page
        message["context"] = context
        message["timestamp"] = iso_ms(self.ms)
        message["sentAt"] = iso_ms(self.ms + int(self.rng.random() * 3000))
        self.emit(self.ms, message, self.person.person_id, tags or [])

    def _view(
        self, device: Device, user: str | None, name: str, path: str, referrer: str = ""
    ) -> None:
        if device.kind == "web":
            page = {
                "path": path,
                "url": f"https://shop.example{path}",
                "title": f"{name} | Shop",
                "referrer": referrer,
            }
            self._send("page", device, user, {"name": name, "properties": dict(page)}, page)
        else:
            self._send("screen", device, user, {"name": name, "properties": {"path": path}})

    def _track(
        self, device: Device | None, user: str | None, event: str, properties: dict[str, Any]
    ) -> None:
        page = None
        if device is not None and device.kind == "web":
            page = {
                "path": "/cart" if "Order" in event or "Checkout" in event else "/products",
                "url": "https://shop.example/products",
            }
        self._send("track", device, user, {"event": event, "properties": properties}, page)

    def _traits(self, tags: list[str]) -> dict[str, Any]:
        r, person = self.rng.random, self.person
        traits: dict[str, Any] = {"email": self.corrupt.email(person, tags)}
        if r() < 0.6:
            traits["firstName"], traits["lastName"] = self.corrupt.names(person, tags)
        if r() < 0.3:
            traits["phone"] = e164(person.country, person.phone)
        return traits

    def _identify(self, device: Device, user_id: str | None) -> None:
        tags: list[str] = []
        if user_id is not None and self.rng.random() < self.corrupt.rates.placeholder:
            user_id = JUNK_USER_IDS[int(self.rng.random() * len(JUNK_USER_IDS))]
            tags.append("placeholder")
        self._send("identify", device, user_id, {"traits": self._traits(tags)}, tags=tags)

    def run(self, ms: int, device: Device, purchase: Purchase | None) -> None:
        """One visit on `device` starting at `ms`, ending in `purchase` if there is one."""
        r, person = self.rng.random, self.person
        self.ms = ms
        personal = device.shared == "personal"
        user_id = person.user_id
        user = user_id if device.anonymous_id in self.logged_in and r() < 0.85 else None
        if device.kind == "app":
            self._track(device, user, "Application Opened", {"from_background": r() < 0.5})
        self._view(device, user, "Home", "/", REFERRERS[int(r() * len(REFERRERS))])
        if user is None and user_id is not None and (purchase or r() < (0.4 if personal else 0.3)):
            self._identify(device, user_id)
            if not self.signed_up:
                self.signed_up = True
                if r() < 0.5:
                    self._send("alias", device, user_id, {"previousId": device.anonymous_id})
                self._track(device, user_id, "Signed Up", {"method": "email"})
            else:
                self._track(device, user_id, "Signed In", {})
            user = user_id
            if personal:
                self.logged_in.add(device.anonymous_id)
        for _ in range(1 + int(r() * 3)):
            product = CATALOG[int(r() * len(CATALOG))]
            self._track(device, user, "Product Viewed", product_properties(product, person.country))
        if r() < 0.08:
            queries = SEARCH_QUERIES[person.lang]
            self._track(
                device, user, "Products Searched", {"query": queries[int(r() * len(queries))]}
            )
        if purchase is not None:
            self._checkout(device, user, purchase)
        elif r() < 0.3:
            product = CATALOG[int(r() * len(CATALOG))]
            self._track(device, user, "Product Added", product_properties(product, person.country))
        if user is not None and not personal:
            self._track(device, user, "Signed Out", {})

    def _checkout(self, device: Device, user: str | None, p: Purchase) -> None:
        item = product_properties(p.product, self.person.country, p.quantity)
        self._track(device, user, "Product Added", item)
        if user is None:  # a guest checkout still leaves an e-mail
            self._identify(device, None)
        self._track(
            device, user, "Checkout Started", {"order_id": p.order_id, "currency": p.currency}
        )
        self._track(
            device,
            user,
            "Order Completed",
            {
                "order_id": p.order_id,
                "total": p.total,
                "revenue": p.total,
                "currency": p.currency,
                "products": [item],
            },
        )

    def server_emails(self, count: int) -> None:
        """E-mail engagement sent server-side by the e-mail tool: userId only, no device."""
        r, person = self.rng.random, self.person
        for _ in range(count):
            self.ms = (person.since + int(r() * (PERIOD_END - person.since))) * 1000
            event = "Email Opened" if r() < 0.7 else "Email Link Clicked"
            campaign = CAMPAIGNS[int(r() * len(CAMPAIGNS))]
            self._track(
                None,
                person.user_id,
                event,
                {"campaign_name": campaign, "email_id": f"em-{int(r() * 10**6):06d}"},
            )

    def finish(self) -> None:
        """Tell the ground truth which userId and anonymousIds this person used."""
        person_id = self.person.person_id
        if self.user_id_used and self.person.user_id is not None:
            self.truth.identifier("events", "user_id", self.person.user_id, person_id)
        for anonymous_id in self.devices:
            self.truth.identifier("events", "anonymous_id", anonymous_id, person_id)
