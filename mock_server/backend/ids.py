"""One seedable source of ids, tokens and secrets, so a seeded run is reproducible.

Increasing numbers (notification ids) come from the store's ``next_id``, which several processes share.
"""

from __future__ import annotations

import random
import secrets


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._random = random.Random(seed) if seed is not None else secrets.SystemRandom()

    def hex(self, nbytes: int = 8) -> str:
        if self.seed is None:
            return secrets.token_hex(nbytes)  # one urandom read, not one per byte (on every request's path)
        return "".join(f"{self._random.randrange(256):02x}" for _ in range(nbytes))

    def new(self, prefix: str, nbytes: int = 8) -> str:
        """``prefix_`` + random hex, e.g. ``job_3f9c...``."""
        return f"{prefix}_{self.hex(nbytes)}"

    def secret(self) -> str:
        return self.hex(32)
