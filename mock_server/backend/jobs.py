"""Jobs (conversations), generations (``image_index``) and variations (``group_index``) as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mock_server.backend._reduce import Reduced, reduce_record
from piktid_spec import EditChatRequest

VariationStatus = Literal["processing", "completed", "failed"]


@dataclass(slots=True)
class Variation:
    group_index: int
    price: float
    due: float
    status: VariationStatus = "processing"
    model_used: str | None = None
    error_message: str | None = None
    finished_at: float | None = None
    forced: str | None = None
    """A per-request outcome ("failed", "refused") set by a fault rule or the scenario header."""

    def __init__(
        self,
        group_index: int,
        price: float,
        due: float,
        status: VariationStatus = "processing",
        model_used: str | None = None,
        error_message: str | None = None,
        finished_at: float | None = None,
        forced: str | None = None,
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.group_index, self.price, self.due, self.status = group_index, price, due, status
        self.model_used, self.error_message, self.finished_at, self.forced = (
            model_used,
            error_message,
            finished_at,
            forced,
        )

    def __reduce__(self) -> Reduced:
        return reduce_record(self)

    @property
    def final(self) -> bool:
        return self.status != "processing"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """What a generation starts from: an uploaded file or an earlier output of the conversation."""

    kind: Literal["file", "output"]
    key: str
    size: tuple[int, int]
    image_index: int = 0
    group_index: int = 0

    def __init__(
        self,
        kind: Literal["file", "output"],
        key: str,
        size: tuple[int, int],
        image_index: int = 0,
        group_index: int = 0,
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc"),
        ``object.__setattr__`` of a frozen record included."""
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "image_index", image_index)
        object.__setattr__(self, "group_index", group_index)

    def __reduce__(self) -> Reduced:
        return reduce_record(self)


@dataclass(slots=True)
class Generation:
    image_index: int
    request: EditChatRequest
    created_at: float
    size: tuple[int, int]
    working: ImageRef | None
    references: tuple[ImageRef, ...]
    identities: tuple[tuple[str, str], ...]
    variations: list[Variation] = field(default_factory=list)

    def __init__(
        self,
        image_index: int,
        request: EditChatRequest,
        created_at: float,
        size: tuple[int, int],
        working: ImageRef | None,
        references: tuple[ImageRef, ...],
        identities: tuple[tuple[str, str], ...],
        variations: list[Variation] | None = None,
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.image_index, self.request, self.created_at, self.size = image_index, request, created_at, size
        self.working, self.references, self.identities = working, references, identities
        self.variations = [] if variations is None else variations

    def __reduce__(self) -> Reduced:
        return reduce_record(self)

    @property
    def final(self) -> bool:
        return all(v.final for v in self.variations)

    @property
    def status(self) -> str:
        if not self.final:
            return "processing"
        return "failed" if all(v.status == "failed" for v in self.variations) else "completed"


@dataclass(slots=True)
class Job:
    job_id: str
    owner: str
    created_at: float
    base_url: str
    updated_at: float = 0.0
    generations: list[Generation] = field(default_factory=list)

    def __init__(
        self,
        job_id: str,
        owner: str,
        created_at: float,
        base_url: str,
        updated_at: float = 0.0,
        generations: list[Generation] | None = None,
    ) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.job_id, self.owner, self.created_at, self.base_url = job_id, owner, created_at, base_url
        self.updated_at, self.generations = updated_at, [] if generations is None else generations

    def __reduce__(self) -> Reduced:
        return reduce_record(self)

    def last_output(self) -> ImageRef | None:
        """The working image a continuation edits: the latest completed variation, else the latest planned."""
        for generation in reversed(self.generations):
            done = [v for v in generation.variations if v.status == "completed"]
            if done:
                last = max(done, key=lambda v: (v.finished_at or 0, v.group_index))
                return ImageRef("output", self.job_id, generation.size, generation.image_index, last.group_index)
        if self.generations:
            g = self.generations[-1]
            return ImageRef("output", self.job_id, g.size, g.image_index, 0)
        return None

    def variations(self) -> list[tuple[Generation, Variation]]:
        return [(g, v) for g in self.generations for v in g.variations]
