"""One seedable source of ids, tokens and secrets, so a seeded run is reproducible.

Increasing numbers (notification ids) come from the store's ``next_id``, which several processes share.
"""

from __future__ import annotations

import os
import random
import secrets


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

    def hex(self, nbytes: int = 8) -> str:
        if self.seed is None:  # ``secrets.token_hex`` without its two layers: one urandom read (every request)
            return os.urandom(nbytes).hex()
        return "".join(f"{self._random.randrange(256):02x}" for _ in range(nbytes))

    def new(self, prefix: str, nbytes: int = 8) -> str:
        """``prefix_`` + random hex, e.g. ``job_3f9c...``."""
        return f"{prefix}_{self.hex(nbytes)}"

    def mark(self) -> object:
        """Where a seeded source stands, for ``rewind``: ids drawn for a request that was then refused
        are given back, so a seeded run draws the ids it always drew (unseeded: nothing to give back)."""
        return None if self.seed is None else self._random.getstate()

    def rewind(self, mark: object) -> None:
        if mark is not None:
            self._random.setstate(mark)  # type: ignore[arg-type]  # what ``mark`` read

    def secret(self) -> str:
        return self.hex(32)
