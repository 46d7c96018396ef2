"""Social media interactions (JSON Lines): a handle per platform, posts, and rarely an e-mail.

Handles rarely say who someone is; a lead form or a direct message sometimes links one to
an e-mail address, which is the only way these records join a profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opencdp.generate.config import PERIOD_END
from opencdp.generate.formats import format_datetime
from opencdp.generate.people import Person
from opencdp.generate.purchases import CATALOG, Purchase
from opencdp.generate.sinks import JsonlSink
from opencdp.generate.texts import SOCIAL_POSTS
from opencdp.generate.writer import SourceWriter, WriterContext

PLATFORMS = {
    "en": ("instagram", "facebook", "x", "tiktok"),
    "th": ("facebook", "line", "instagram", "tiktok"),
    "ja": ("x", "line", "instagram", "youtube"),
}
WRITTEN = ("comment", "mention", "review", "message")
SILENT = ("like", "share", "follow")


class SocialWriter(SourceWriter[JsonlSink]):
    source = "social"
    file_name = "social.jsonl"
    record_id = "id"

    def __init__(self, ctx: WriterContext) -> None:
        super().__init__(ctx)
        self.posts = 0

    def open(self, path: Path, limit: int | None) -> JsonlSink:
        return JsonlSink(path, limit)

    def _handle(self, person: Person) -> str:
        r = self.rng.random
        base = (
            (person.nickname.roman if person.nickname and r() < 0.5 else "")
            or person.first.roman
            or "user"
        )
        last = person.last.roman.lower()
        token = person.index * 7919 % 10**7  # distinct for up to 10 million people
        style = int(r() * 3)
        if style == 0 and last:
            return f"{base.lower()}.{last}{token}"
        if style == 1:
            return f"{base.lower()}_{token}"
        return f"{base.lower()}{last[:1]}{token}"

    def write(self, person: Person, purchases: Sequence[Purchase]) -> None:
        r = self.rng.random
        if r() >= self.ctx.coverage:
            return
        platforms = PLATFORMS[person.lang]
        for platform in {
            platforms[int(r() * len(platforms))]: None for _ in range(1 + int(r() * 2))
        }:
            handle = self._handle(person)
            self.truth.identifier(self.source, "handle", f"{platform}:{handle}", person.person_id)
            for _ in range(1 + int(r() * 5)):
                self._post(person, platform, handle)

    def _post(self, person: Person, platform: str, handle: str) -> None:
        r, corrupt = self.rng.random, self.corrupt
        tags: list[str] = []
        written = r() < 0.6
        action = WRITTEN[int(r() * 4)] if written else SILENT[int(r() * 3)]
        self.posts += 1
        post: dict[str, Any] = {
            "id": f"SM{self.posts:09d}",
            "platform": platform,
            "handle": handle,
            "action": action,
        }
        if written:
            texts = SOCIAL_POSTS[person.lang]
            product = CATALOG[int(r() * len(CATALOG))].name
            post["text"] = texts[int(r() * len(texts))].format(product=product)
        ts = person.since + int(r() * (PERIOD_END - person.since))
        post["time"] = format_datetime(self.rng, ts, person.country, self.rates)
        if r() < 0.4:
            post["display_name"] = corrupt.full_name(person, tags)
        if r() < 0.12:
            post["email"] = corrupt.email(person, tags)
        if self.sink.write(post):
            self.truth.record(self.source, post["id"], person.person_id, tags)
