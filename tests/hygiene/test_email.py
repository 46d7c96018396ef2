from __future__ import annotations

import pytest

from opencdp.hygiene import FieldIssue, HygieneOptions, email_for_display, normalize_email

GMAIL_RULES = HygieneOptions(email_provider_rules=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John.Doe@Company.co.th ", "john.doe@company.co.th"),
        ("SOMCHAI@HOTMAIL.COM", "somchai@hotmail.com"),
        ("ｔａｒｏ＠ｙａｈｏｏ．ｃｏ．ｊｐ", "taro@yahoo.co.jp"),  # full-width, typed with an IME
        ("taro@例え.jp", "taro@xn--r8jz45g.jp"),
        ("user@ไทย.com", "user@xn--o3cw4h.com"),
        ("mailto:a.b@shop.jp", "a.b@shop.jp"),
        ("Somchai Jaidee <somchai@company.co.th>", "somchai@company.co.th"),
        ("john.doe+news@gmail.com", "john.doe+news@gmail.com"),  # no provider rules by default
        ("o'brien@mail.ie", "o'brien@mail.ie"),
        ("สมชาย@บริษัท.ไทย", "สมชาย@xn--o3cf1ay4bq.xn--o3cw4h"),
    ],
)
def test_cleans_addresses(raw: str, expected: str) -> None:
    result = normalize_email(raw)
    assert result.value == expected
    assert result.original == raw
    assert result.issues == ()


def test_gmail_rules_drop_dots_and_tags_and_unify_googlemail() -> None:
    assert normalize_email("John.Doe+news@GMail.com", GMAIL_RULES).value == "johndoe@gmail.com"
    assert normalize_email("j.o.h.n@googlemail.com", GMAIL_RULES).value == "john@gmail.com"


def test_other_providers_keep_dots_and_tags_unless_asked() -> None:
    assert normalize_email("a.b+x@outlook.com", GMAIL_RULES).value == "a.b+x@outlook.com"
    tags = HygieneOptions(email_strip_tags=True)
    assert normalize_email("a.b+x@outlook.com", tags).value == "a.b@outlook.com"


def test_display_form_turns_punycode_back_into_unicode() -> None:
    stored = normalize_email("Taro@例え.JP").value
    assert stored == "taro@xn--r8jz45g.jp"
    assert email_for_display(stored) == "taro@例え.jp"
    assert email_for_display("plain@example.co.th") == "plain@example.co.th"


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("", FieldIssue.MISSING),
        ("   ", FieldIssue.MISSING),
        (None, FieldIssue.MISSING),
        ("plainaddress", FieldIssue.EMAIL_SYNTAX),
        ("@nolocal.com", FieldIssue.EMAIL_SYNTAX),
        ("a..b@x.com", FieldIssue.EMAIL_SYNTAX),
        ("a b@x.com", FieldIssue.EMAIL_SYNTAX),
        (".a@x.com", FieldIssue.EMAIL_SYNTAX),
        ("a@b", FieldIssue.EMAIL_DOMAIN),
        ("a@-x.com", FieldIssue.EMAIL_DOMAIN),
        ("a@x.c", FieldIssue.EMAIL_DOMAIN),
        ("a@[127.0.0.1]", FieldIssue.EMAIL_DOMAIN),
        ("a@xn--zz.com", FieldIssue.EMAIL_DOMAIN),
        ("x" * 65 + "@x.com", FieldIssue.EMAIL_SYNTAX),
        ("a@" + "x" * 260 + ".com", FieldIssue.TOO_LONG),
        ({"email": "a@b.com"}, FieldIssue.NOT_TEXT),
    ],
)
def test_refuses_invalid_addresses(raw: object, issue: FieldIssue) -> None:
    result = normalize_email(raw)
    assert result.value is None
    assert result.issues == (issue,)
    assert result.original == raw


@pytest.mark.parametrize(
    "raw",
    [
        "test@test.com", "noemail@gmail.com", "no-email@company.co.th", "none@none.com",
        "someone@example.com", "x@example.org", "a@a.com", "xxx@xxx.com", "user@shop.test",
        "noreply@line.me", "asdf@asdf.com", "N/A@gmail.com",
    ],
)  # fmt: skip
def test_refuses_placeholder_addresses(raw: str) -> None:
    assert normalize_email(raw).issues == (FieldIssue.PLACEHOLDER,)


def test_gmail_tag_only_local_part_is_refused() -> None:
    assert normalize_email("+tag@gmail.com", GMAIL_RULES).issues == (FieldIssue.EMAIL_SYNTAX,)
