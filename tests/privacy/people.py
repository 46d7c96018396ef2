"""Two people with data in every stage of a real workspace: Ann (to be erased) and Bob.

Ann arrives anonymously on the web, identifies (email, phone, names), buys, aliases a second
anonymous id, sends an invalid message, is imported from a CRM file and an orders file (one
order row quarantined), enters a segment that a file destination and an ad-list destination
sync, has a computed trait, a prediction and an undelivered webhook batch. Bob shares none of
her identifiers, except one event in which he used her laptop (her anonymous id, refused by
the one-user-id rule and placed on Bob).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opencdp.activate.audience import Change
from opencdp.activate.dead_letters import store_dead_letters
from opencdp.activate.outcome import FailedBatch
from opencdp.admin import Admin
from tests.collecting import collect


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    phone: str
    anonymous: tuple[str, str]
    customer_id: str
    first_name: str
    last_name: str

    @property
    def values(self) -> list[str]:
        """Every value a scan must not find after erasure."""
        return [self.user_id, self.email, self.phone, *self.anonymous, self.customer_id,
                self.first_name, self.last_name]  # fmt: skip


ANN = Person("u-ann-7731", "annabelle.zyx@siam-mail.co.th", "+66812345671",
             ("anon-ann-aaa1", "anon-ann-bbb2"), "CANN9913", "Annabelle", "Zyxwortha")  # fmt: skip
BOB = Person("u-bob-4402", "robert.qq@nihon-mail.jp", "+66899990002",
             ("anon-bob-ccc3", "anon-bob-ddd4"), "CBOB5521", "Roberto", "Quillfeather")  # fmt: skip

CRM_MAPPING = {"columns": {
    "customer_id": ["identifier:customer_id", "record_id"], "email": "identifier:email",
    "phone": "identifier:phone", "first_name": "trait:first_name",
    "last_name": "trait:last_name", "city": "trait:city",
}}  # fmt: skip
ORDERS_MAPPING = {"event_name": "Order Completed", "columns": {
    "order_id": ["event:order_id", "record_id"], "email": "identifier:email",
    "total": "event:total", "ordered_at": "event:time",
}}  # fmt: skip


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def web_messages(p: Person, days: float = 5) -> list[dict[str, Any]]:
    consent = {"consent": {"categoryPreferences": {"email": True, "advertising": True}}}
    return [
        {"type": "page", "anonymousId": p.anonymous[0], "name": "Home", "timestamp": ago(days),
         "context": consent},
        {"type": "identify", "userId": p.user_id, "anonymousId": p.anonymous[0],
         "timestamp": ago(days - 1),
         "traits": {"email": p.email, "phone": p.phone, "first_name": p.first_name,
                    "last_name": p.last_name, "country": "TH", "email_opt_in": True}},
        {"type": "track", "userId": p.user_id, "event": "Order Completed",
         "properties": {"total": 42.5}, "timestamp": ago(days - 2)},
        {"type": "alias", "userId": p.user_id, "previousId": p.anonymous[1],
         "timestamp": ago(days - 2)},
        {"type": "track", "anonymousId": p.anonymous[1], "event": "Product Viewed",
         "properties": {"sku": "mug"}, "timestamp": ago(days - 3)},
    ]  # fmt: skip


def invalid_message(p: Person) -> dict[str, Any]:
    """A track without an event name: quarantined, with the person's email in it."""
    return {"type": "track", "userId": p.user_id, "context": {"traits": {"email": p.email}},
            "timestamp": ago(1)}  # fmt: skip


def crm_csv(*people: Person) -> str:
    lines = ["customer_id,email,phone,first_name,last_name,city"]
    lines += [f"{p.customer_id},{p.email},{p.phone},{p.first_name},{p.last_name},Bangkok"
              for p in people]  # fmt: skip
    return "\n".join(lines) + "\n"


def orders_csv(*people: Person) -> str:
    lines = ["order_id,email,total,ordered_at"]
    for i, p in enumerate(people):
        lines.append(f"o-{p.customer_id}-1,{p.email},{10 + i},{ago(3)}")
        lines.append(f"o-{p.customer_id}-2,{p.email},{20 + i},not a time")  # quarantined
    return "\n".join(lines) + "\n"


def populate(admin: Admin, folder: Path) -> dict[str, str]:
    """Both people in every stage; returns their profile ids."""
    admin.create_source("web", default_region="TH")
    admin.create_source("crm", default_region="TH")
    collect(admin, web_messages(ANN) + web_messages(BOB) + [invalid_message(ANN)])
    # Bob on Ann's laptop: her anonymous id with his user id (refused: a conflict)
    collect(admin, [{"type": "track", "userId": BOB.user_id, "anonymousId": ANN.anonymous[0],
                     "event": "Signed In", "timestamp": ago(1)}])  # fmt: skip
    crm = folder / "crm.csv"
    crm.write_text(crm_csv(ANN, BOB), encoding="utf-8")
    admin.import_file("crm", crm, CRM_MAPPING)
    orders = folder / "orders.csv"
    orders.write_text(orders_csv(ANN, BOB), encoding="utf-8")
    admin.import_file("crm", orders, ORDERS_MAPPING)
    admin.ws.bring_current()
    ids = {name: admin.get_profile(p.user_id)["profile_id"] for name, p in
           (("ann", ANN), ("bob", BOB))}  # fmt: skip
    admin.define_computed_trait("orders", {"aggregate": "count", "event": "Order Completed"})
    admin.compute_traits()
    admin.create_segment("buyers", 'did("Order Completed")')
    out = folder / "out"
    out.mkdir()
    admin.create_destination("crm-file", "file", "buyers", "email",
                             {"path": str(out), "format": "csv",
                              "traits": ["email", "first_name", "last_name"]})  # fmt: skip
    admin.create_destination("ads", "google_customer_match", "buyers", "advertising",
                             {"path": str(out)})  # fmt: skip
    admin.sync_destination("crm-file")
    admin.sync_destination("ads")
    admin.create_destination("hook", "webhook", "buyers", "email",
                             {"url": "http://127.0.0.1:9/none", "secret": "s" * 16})  # fmt: skip
    _dead_letter(admin, ids)
    admin.ws.write(lambda con: con.execute(
        "INSERT INTO profile_predictions VALUES (?, 'churn', 0.8, 'high', now()),"
        " (?, 'churn', 0.1, 'low', now())", [ids["ann"], ids["bob"]]))  # fmt: skip
    return ids


def _dead_letter(admin: Admin, ids: dict[str, str]) -> None:
    """An undelivered webhook batch holding both people."""
    changes = [Change(ids["ann"], "entered", {"email": ANN.email}, 1),
               Change(ids["bob"], "entered", {"email": BOB.email}, 2)]  # fmt: skip
    body = json.dumps({"entered": [{"profile_id": ids["ann"], "traits": {"email": ANN.email}},
                                   {"profile_id": ids["bob"], "traits": {"email": BOB.email}}],
                       "updated": [], "exited": []})  # fmt: skip

    def store(con: Any) -> None:
        destination_id = con.execute("SELECT destination_id FROM destinations WHERE name ="
                                     " 'hook'").fetchone()[0]  # fmt: skip
        store_dead_letters(con, destination_id, "sync-1",
                           [FailedBatch("key-1", body, changes, 3, "connection refused")],
                           datetime.now(UTC))  # fmt: skip

    admin.ws.write(store)


def scan(admin: Admin, values: list[str]) -> dict[str, int]:
    """Rows of every table whose text columns contain one of `values` (case-insensitive):
    `{"table.column": rows}` for every hit."""

    def run(con: Any) -> dict[str, int]:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns c"
            " WHERE table_schema = 'main' AND (data_type IN ('VARCHAR', 'JSON')"
            "  OR data_type LIKE 'VARCHAR[]%' OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%')"
            " AND table_name IN (SELECT table_name FROM information_schema.tables"
            "  WHERE table_schema = 'main' AND table_type = 'BASE TABLE')"
        ).fetchall()
        hits = {}
        for table, column in columns:
            for value in values:
                n = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"::VARCHAR),'
                    " lower(?))", [value],
                ).fetchone()[0]  # fmt: skip
                if n:
                    hits[f"{table}.{column}:{value}"] = n
        return hits

    return admin.ws.read(run)
