"""One seedable source of ids, tokens and secrets, so a seeded run is reproducible.

Increasing numbers (notification ids) come from the store's ``next_id``, which several processes share.
"""

from __future__ import annotations

import os
import random
import secrets
from typing import Any


class IdSource:
    """``stream``: this process's number among those sharing one state (``Store.join``); a seeded
    source draws its own sequence for each, so seeded ids never collide across processes, and
    stream 0 is the sequence a single process has always drawn."""

    def __init__(self, seed: int | None = None, stream: int = 0) -> None:
        self.seed = seed
        if seed is None:
            self._random: random.Random = secrets.SystemRandom()
        else:
            self._random = random.Random(seed if stream == 0 else f"{seed}:{stream}")
        self._draws = 0
        """Ids drawn so far (seeded): a ``mark`` knows whether others were drawn after it."""

    def hex(self, nbytes: int = 8) -> str:
        if self.seed is None:  # ``secrets.token_hex`` without its two layers: one urandom read (every request)
            return os.urandom(nbytes).hex()
        self._draws += 1
        return "".join(f"{self._random.randrange(256):02x}" for _ in range(nbytes))

    def new(self, prefix: str, nbytes: int = 8) -> str:
        """``prefix_`` + random hex, e.g. ``job_3f9c...``."""
        return f"{prefix}_{self.hex(nbytes)}"

    def mark(self) -> Mark | None:
        """Where a seeded source stands, for ``rewind``: ids drawn for a request that was then refused
        are given back, so a seeded run draws the ids it always drew (unseeded: nothing to give back)."""
        return None if self.seed is None else Mark(self, self._draws, self._random.getstate())

    def rewind(self, mark: Mark | None, drawn: Mark | None) -> None:
        """Back to ``mark``, giving back what was drawn up to ``drawn`` (a later mark), unless anything else
        was drawn since (another request, while this one waited for a shared store: its ids stay drawn,
        or two requests would get one id) or the source is another one now (a reset meanwhile)."""
        if mark is not None and drawn is not None and mark.source is self and drawn.draws == self._draws:
            self._random.setstate(mark.state)
            self._draws = mark.draws

    def secret(self) -> str:
        return self.hex(32)


class Mark:
    """Where an ``IdSource`` stood: the source, how many ids it had drawn, its generator's state."""

    __slots__ = ("draws", "source", "state")

    def __init__(self, source: IdSource, draws: int, state: tuple[Any, ...]) -> None:
        self.source, self.draws, self.state = source, draws, state
