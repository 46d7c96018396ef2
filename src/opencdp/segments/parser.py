"""Reading the text form of a segment into a tree (the grammar is in `docs/segments.md`).

A hand-written recursive-descent parser: precedence `not` > `and` > `or`, `then` chains
`did(...)` steps into a sequence. Errors name the character offset and what was expected.
The result is validated with `validate.check`, so parsing gives only meaningful trees.
"""

from __future__ import annotations

from typing import cast

from opencdp.segments import tree as t
from opencdp.segments.errors import InvalidSegment, SegmentSyntaxError
from opencdp.segments.lexer import Token, tokenize
from opencdp.segments.validate import check
from opencdp.segments.words import EVENT_FUNCTIONS, FIELD_FUNCTIONS, KEYWORDS


def parse(text: str) -> t.Node:
    """The tree `text` spells; SegmentSyntaxError / InvalidSegment when it spells none."""
    parser = _Parser(text)
    node = parser.expression()
    parser.expect_end()
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.in_where = False

    # -- tokens -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, expected: str, token: Token | None = None) -> SegmentSyntaxError:
        token = token or self.tok
        found = "end of text" if token.kind == "end" else repr(self.text[token.pos:][:20])
        return SegmentSyntaxError(f"expected {expected}, found {found}", token.pos, self.text)

    def at(self, text: str, kind: str | None = None) -> bool:
        tok = self.tok
        if kind is None:
            return tok.kind in ("name", "punct", "op") and tok.text == text
        return tok.kind == kind and tok.text == text

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.fail(f"'{text}'")

    def take(self, kind: str, expected: str) -> Token:
        tok = self.tok
        if tok.kind != kind:
            raise self.fail(expected)
        self.i += 1
        return tok

    def is_call(self, names: tuple[str, ...]) -> bool:
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else self.tok
        return self.tok.kind == "name" and self.tok.text in names and nxt.text == "("

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            raise self.fail("'and', 'or' or the end")

    # -- boolean structure ----------------------------------------------------------------
    def expression(self) -> t.Node:
        args = [self.conjunction()]
        while self.accept("or"):
            args.append(self.conjunction())
        return args[0] if len(args) == 1 else t.Or(tuple(args))

    def conjunction(self) -> t.Node:
        args = [self.unary()]
        while self.accept("and"):
            args.append(self.unary())
        return args[0] if len(args) == 1 else t.And(tuple(args))

    def unary(self) -> t.Node:
        if self.accept("not"):
            return t.Not(self.unary())
        start = self.tok
        node = self.primary()
        if start.text != "(" or start.kind != "punct":
            try:  # each condition once, where it starts; nested ones were checked inside
                check(node, in_where=self.in_where)
            except InvalidSegment as exc:
                raise SegmentSyntaxError(exc.reason, start.pos, self.text) from exc
        return node

    def primary(self) -> t.Node:
        if self.accept("("):
            node = self.expression()
            self.expect(")")
            return node
        if self.is_call((*EVENT_FUNCTIONS, "consent", "in_segment")):
            if self.in_where:
                raise self.fail("an event property condition")
            return self.call_condition()
        return self.field_condition()

    # -- profile-level calls ----------------------------------------------------------------
    def call_condition(self) -> t.Node:
        name = self.tok.text
        self.i += 2  # name and "("
        if name in ("consent", "in_segment"):
            value = self.take("string", "a quoted name").text
            self.expect(")")
            return t.Consent(value) if name == "consent" else t.InSegment(value)
        if name == "did":
            first = self.did_arguments()
            steps = [first]
            while self.accept("then"):
                if not self.is_call(("did",)):
                    raise self.fail("did(...) after 'then'")
                self.i += 2
                steps.append(self.did_arguments())
            if len(steps) == 1:
                return first
            within = self.duration() if self.accept("within") else None
            return t.Sequence(tuple(steps), within)
        event = self.take("string", "a quoted event name").text
        prop = None
        if name != "count":
            self.expect(",")
            prop = self.take("string", "a quoted property name").text
        window, where = self.window_and_where()
        if self.tok.kind != "op":
            raise self.fail("a comparison (= != < <= > >=)")
        op = self.take("op", "a comparison").text
        number = self.value()
        if not isinstance(number, int | float) or isinstance(number, bool):
            position = self.tokens[self.i - 1].pos
            raise SegmentSyntaxError(f"{name}(...) compares with a number", position, self.text)
        return t.Aggregate(name, event, prop, window, where, op, number)

    def did_arguments(self) -> t.Did:
        event = self.take("string", "a quoted event name").text
        window, where = self.window_and_where()
        return t.Did(event, window, where)

    def window_and_where(self) -> tuple[t.Duration | None, t.Node | None]:
        window = self.duration() if self.accept(",") else None
        where = None
        if self.accept("where"):
            self.in_where = True
            where = self.expression()
            self.in_where = False
        self.expect(")")
        return window, where

    def duration(self) -> t.Duration:
        tok = self.take("duration", "a duration such as 30d, 12h, 2w, 18y")
        return t.Duration(int(tok.text[:-1]), cast(t.Unit, tok.text[-1]))

    # -- field conditions ---------------------------------------------------------------------
    def field(self) -> t.Field:
        tok = self.tok
        if self.is_call(FIELD_FUNCTIONS):
            self.i += 2
            name = self.take("string", "a quoted name").text
            self.expect(")")
            return t.Field(cast(t.FieldKind, tok.text), name)
        if tok.kind != "name" or tok.text in KEYWORDS:
            raise self.fail("a condition")
        if self.tokens[self.i + 1].text == "(":
            raise self.fail("a known function (did, count, sum, avg, min, max, consent, "
                            "in_segment, trait, computed, identifier, prediction, property)")
        self.i += 1
        return t.Field("property" if self.in_where else "auto", tok.text)

    def field_condition(self) -> t.Node:
        field = self.field()
        if self.tok.kind == "op":
            op = self.take("op", "").text
            return t.Compare(field, op, self.value(), self.ignore_case())
        for op in t.TEXT_MATCHES:
            if self.accept(op):
                return t.Compare(field, op, self.value(), self.ignore_case())
        negated = self.accept("not")
        if self.accept("in"):
            return t.InList(field, self.value_list(), negated, self.ignore_case())
        if self.accept("exists"):
            return t.Exists(field, negated)
        if negated:
            raise self.fail("'in' or 'exists' after 'not'")
        if self.accept("between"):
            low = self.value()
            self.expect("and")
            return t.Between(field, low, self.value())
        if self.accept("within"):
            return t.RelativeTime(field, "within", self.duration())
        for op in ("before", "after"):
            if self.accept(op):
                duration = self.duration()
                self.expect("ago")
                return t.RelativeTime(field, op, duration)
        raise self.fail("an operator (= != < <= > >= in contains starts_with ends_with exists "
                        "between within before after)")

    def ignore_case(self) -> bool:
        return self.accept("ignore_case")

    def value_list(self) -> tuple[t.Value, ...]:
        self.expect("[")
        values = [self.value()]
        while self.accept(","):
            values.append(self.value())
        self.expect("]")
        return tuple(values)

    def value(self) -> t.Value:
        tok = self.tok
        if tok.kind == "string":
            self.i += 1
            return tok.text
        if tok.kind == "number":
            self.i += 1
            is_float = any(c in tok.text for c in ".eE")
            return float(tok.text) if is_float else int(tok.text)
        if self.accept("true"):
            return True
        if self.accept("false"):
            return False
        if self.is_call(("date",)):
            self.i += 2
            iso = self.take("string", "a quoted ISO date").text
            self.expect(")")
            return t.DateValue(iso)
        raise self.fail('a value ("text", number, true, false or date("2024-01-31"))')
