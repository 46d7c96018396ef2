"""Which message keys were stored recently: exact, in bounded memory, fast for batches.

SDKs retry a message they got no 200 for within minutes, so deduplication needs the recent
past, not all history (Segment dedupes over about a day). Keys live in sorted numpy arrays
merged like an LSM tree: a batch lookup is a few `searchsorted` calls, an insert is an
amortised linear merge. Two generations of `generation_size` keys each are kept; when the
current one fills, the older is dropped. So the last `generation_size` to
`2 * generation_size` keys are always remembered and memory stays flat under any load.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.uint64]


# A level is merged into the one before it once it reaches 1/8 of that one's size, which keeps
# a generation to about three levels. Fewer levels mean fewer numpy calls per lookup, and on
# the writer thread each call can hand the GIL to the event loop and wait to get it back.
_MERGE_RATIO = 8


class _Generation:
    def __init__(self) -> None:
        self.levels: list[Keys] = []  # sorted, unique within a level, largest first
        self.count = 0

    def add(self, keys: Keys) -> None:
        self.levels.append(np.sort(keys))
        self.count += int(keys.size)
        while len(self.levels) > 1 and self.levels[-1].size * _MERGE_RATIO >= self.levels[-2].size:
            newer = self.levels.pop()
            older = self.levels.pop()
            # Two sorted runs: the stable sort (timsort) merges them in linear time.
            self.levels.append(np.sort(np.concatenate((older, newer)), kind="stable"))


class RecentMessageKeys:
    """Membership of the most recent `generation_size`..`2 * generation_size` keys."""

    def __init__(self, generation_size: int) -> None:
        if generation_size < 1:
            raise ValueError("generation_size must be positive")
        self.generation_size = generation_size
        self._current = _Generation()
        self._previous = _Generation()

    def __len__(self) -> int:
        return self._current.count + self._previous.count

    def contains(self, keys: Keys) -> npt.NDArray[np.bool_]:
        levels = [*self._previous.levels, *self._current.levels]
        if not levels or not keys.size:
            return np.zeros(keys.shape, dtype=bool)
        # Looked up in sorted order: consecutive binary searches then walk each level
        # forwards instead of missing the cache at random places of arrays of millions.
        # Past the end of a level, `clip` compares with its largest key, which is smaller.
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        nearest = [level.take(np.searchsorted(level, ordered), mode="clip") for level in levels]
        found = np.empty(keys.shape, dtype=bool)
        found[order] = (np.stack(nearest) == ordered).any(axis=0)
        return found

    def add(self, keys: Keys) -> None:
        """Remember `keys` (which must not be remembered already)."""
        if keys.size == 0:
            return
        if self._current.count + keys.size > self.generation_size:
            self._previous = self._current
            self._current = _Generation()
        self._current.add(keys.astype(np.uint64, copy=False))
