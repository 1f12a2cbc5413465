"""One seedable source of ids, tokens and secrets, so a seeded run is reproducible."""

from __future__ import annotations

import itertools
import random
import secrets


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._random = random.Random(seed) if seed is not None else secrets.SystemRandom()
        self._counter = itertools.count(1)

    def hex(self, nbytes: int = 8) -> str:
        if self.seed is None:
            return secrets.token_hex(nbytes)  # one urandom read, not one per byte (on every request's path)
        return "".join(f"{self._random.randrange(256):02x}" for _ in range(nbytes))

    def new(self, prefix: str, nbytes: int = 8) -> str:
        """``prefix_`` + random hex, e.g. ``job_3f9c...``."""
        return f"{prefix}_{self.hex(nbytes)}"

    def number(self) -> int:
        """Increasing integers (notification ids)."""
        return next(self._counter)

    def secret(self) -> str:
        return self.hex(32)
