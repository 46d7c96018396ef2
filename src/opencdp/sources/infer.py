"""Guess a mapping from a file's header and a sample of its values, for a person to confirm.

Header names are matched against synonyms in English, Thai and Japanese after folding case,
spaces, `_` and `-`; a column whose name says nothing is judged by its values (e-mail
addresses, phone numbers). What cannot be guessed is left out, not guessed wildly.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from opencdp.sources.mapping import DEFAULT_KINDS, ColumnRule, Mapping

# folded header name → (role, name)
_SYNONYMS: dict[str, tuple[str, str]] = {}


def _add(role: str, name: str, *headers: str) -> None:
    for header in headers:
        _SYNONYMS[_fold(header)] = (role, name)


def _fold(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).lower()
    return re.sub(r"[\s_\-.]+", "", text)


_add(
    "identifier",
    "email",
    "email",
    "e-mail",
    "email address",
    "mail",
    "อีเมล",
    "อีเมล์",
    "メール",
    "メールアドレス",
    "respondent email",
    "customer email",
)
_add(
    "identifier",
    "phone",
    "phone",
    "phone number",
    "mobile",
    "tel",
    "telephone",
    "cell",
    "เบอร์โทร",
    "โทรศัพท์",
    "เบอร์โทรศัพท์",
    "電話",
    "電話番号",
    "携帯",
    "携帯電話",
)
_add(
    "identifier",
    "customer_id",
    "customer id",
    "customer",
    "client id",
    "customer no",
    "รหัสลูกค้า",
    "顧客id",
    "顧客番号",
    "会員番号",
)
_add("identifier", "user_id", "user id", "userid")
_add("identifier", "loyalty_id", "loyalty id", "member id", "membership id", "points card")
_add("identifier", "line_id", "line id", "line")
_add("identifier", "device_id", "device id", "idfa", "gaid", "advertising id")
_add("identifier", "anonymous_id", "anonymous id", "anonymousid", "cookie id")
_add("identifier", "social_handle", "handle", "social handle", "twitter", "instagram")
_add("trait", "first_name", "first name", "firstname", "given name", "ชื่อ", "名", "名前")
_add("trait", "last_name", "last name", "lastname", "surname", "family name", "นามสกุล", "姓")
_add("trait", "full_name", "name", "full name", "customer name", "ชื่อนามสกุล", "氏名")
_add(
    "trait",
    "birth_date",
    "birth date",
    "birthdate",
    "birthday",
    "dob",
    "date of birth",
    "วันเกิด",
    "生年月日",
    "誕生日",
)
_add("trait", "gender", "gender", "sex", "เพศ", "性別")
_add("trait", "address", "address", "street", "ที่อยู่", "住所")
_add("trait", "city", "city", "town", "จังหวัด", "เมือง", "市区町村", "都道府県")
_add("trait", "postcode", "postcode", "postal code", "zip", "zip code", "รหัสไปรษณีย์", "郵便番号")
_add("trait", "country", "country", "ประเทศ", "国")
_add("trait", "company", "company", "organisation", "organization", "บริษัท", "会社", "会社名")
_add("trait", "job_title", "job title", "title", "position", "ตำแหน่ง", "役職")
_add(
    "event",
    "time",
    "ordered at",
    "order date",
    "created at",
    "timestamp",
    "time",
    "date",
    "event time",
    "sent at",
    "วันที่",
    "日時",
    "注文日",
)
_add("event", "order_id", "order id", "order no", "order number", "เลขที่คำสั่งซื้อ", "注文番号")
_add("event", "product", "product", "product name", "item", "สินค้า", "商品", "商品名")
_add("event", "product_id", "sku", "product id")
_add("event", "category", "category", "หมวดหมู่", "カテゴリ")
_add("event", "quantity", "quantity", "qty", "จำนวน", "数量")
_add("event", "price", "price", "amount", "unit price", "ราคา", "価格", "金額")
_add("event", "revenue", "revenue", "total", "order total")
_add("event", "currency", "currency", "สกุลเงิน", "通貨")
_add("event", "channel", "channel", "ช่องทาง", "チャネル")
_add("event", "campaign", "campaign", "แคมเปญ", "キャンペーン")
_add("event", "rating", "rating", "score", "satisfaction", "คะแนน", "評価")
_add("event", "nps", "nps", "recommend", "likelihood to recommend")
_add(
    "event",
    "text",
    "comment",
    "comments",
    "feedback",
    "message",
    "body",
    "text",
    "ความคิดเห็น",
    "コメント",
)
_add("event", "action", "action", "activity")
_add("event", "subject", "subject", "หัวข้อ", "件名")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s\-().０-９－]{8,20}$")


def _by_values(values: list[str]) -> tuple[str, str] | None:
    present = [v.strip() for v in values if v and v.strip()]
    if len(present) < 3:
        return None
    if sum(bool(_EMAIL.match(v)) for v in present) >= 0.8 * len(present):
        return ("identifier", "email")
    if sum(bool(_PHONE.match(v)) for v in present) >= 0.8 * len(present):
        return ("identifier", "phone")
    return None


def infer_mapping(
    columns: list[str], sample: dict[str, list[str]], *, event_name: str | None = None
) -> Mapping:
    """A mapping for `columns`; `sample` holds a few values of each column."""
    rules: list[ColumnRule] = []
    taken: set[tuple[str, str]] = set()
    for column in columns:
        guess = _SYNONYMS.get(_fold(column)) or _by_values(sample.get(column, []))
        if guess is None or (guess in taken and guess[0] != "trait"):
            continue
        taken.add(guess)
        rules.append(_rule_for(column, guess))
    has_events = any(r.role == "event" and r.name != "time" for r in rules)
    if not has_events and event_name is None:
        rules = [r for r in rules if r.role != "event"]
    id_like = next((r for r in rules if r.name in ("order_id", "customer_id")), None)
    if id_like is not None and id_like.name == ("order_id" if has_events else "customer_id"):
        rules.append(ColumnRule(id_like.column, "record_id", "record_id", "text"))
    return Mapping(columns=rules, event_name=event_name or ("Imported" if has_events else None))


def _rule_for(column: str, guess: tuple[str, str]) -> ColumnRule:
    role, name = guess
    return ColumnRule(column, role, name, DEFAULT_KINDS.get(name, "text"))


def mapping_document(mapping: Mapping) -> dict[str, Any]:
    """The mapping in the short YAML form a person edits (the long form for a column whose
    hygiene kind is not its name's default, so the kind survives: a `tel` trait cleaned
    as a phone stays a phone, and stays personal data for masking)."""
    columns: dict[str, list[Any]] = {}
    for rule in mapping.columns:
        short: Any = f"{rule.role}:{rule.name}" if rule.role != "record_id" else "record_id"
        default = "boolean" if rule.role == "consent" else DEFAULT_KINDS.get(rule.name, "text")
        if rule.details or (rule.role != "record_id" and rule.kind != default):
            # a consent column's legal basis, policy version …; a kind of its own
            short = {"role": rule.role, "name": rule.name, "kind": rule.kind,
                     **dict(rule.details)}  # fmt: skip
        columns.setdefault(rule.column, []).append(short)
    document: dict[str, Any] = {
        "columns": {c: rules[0] if len(rules) == 1 else rules for c, rules in columns.items()}
    }
    if mapping.event_name:
        document["event_name"] = mapping.event_name
    if mapping.default_region:
        document["default_region"] = mapping.default_region
    if mapping.day_first:
        document["day_first"] = True
    if mapping.timezone != "UTC":
        document["timezone"] = mapping.timezone
    return document
