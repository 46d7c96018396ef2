"""The two ways a segment definition is refused, both `ValueError`s the API answers with 400.

`InvalidSegment` says which node of the JSON tree is wrong (its path, e.g. `args[1].value`);
`SegmentSyntaxError` says where the text form stopped parsing and what it expected there.
"""

from __future__ import annotations


class InvalidSegment(ValueError):
    """A segment tree that cannot be evaluated: a bad node, type, purpose or segment name."""

    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class SegmentSyntaxError(InvalidSegment):
    """Text that is not a segment: `position` is the 0-based character offset of the problem."""

    def __init__(self, reason: str, position: int, text: str) -> None:
        self.position = position
        self.text = text
        super().__init__(f"{reason} at position {position}")
