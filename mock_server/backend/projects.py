"""Projects: a user's named folders of uploads (``POST /project``, ``GET /project``, ``/upload``'s ``project_name``).

Image Playground itself takes no project, but every PiktID client script creates one first and the
Playground page's upload snippet names one it never created, so a name is created on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_server.backend.errors import ApiError
from mock_server.backend.ids import IdSource
from mock_server.backend.pagination import paginate
from mock_server.backend.signing import iso

if TYPE_CHECKING:
    from mock_server.store import Store

NAME_MAX = 128


@dataclass(slots=True)
class Project:
    project_id: int
    project_key: str
    name: str
    owner: str
    created_at: float
    file_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``project_text`` is the v2 name of the name field; ``project_name`` echoes what was posted."""
        return {
            "project_id": self.project_id,
            "project_key": self.project_key,
            "project_name": self.name,
            "project_text": self.name,
            "created_at": iso(self.created_at),
            "file_count": len(self.file_ids),
        }


def check_name(value: object, field_name: str = "project_name") -> str:
    """A project name: a string of 1 to 128 characters (the upload's documented bound), else 400."""
    if not isinstance(value, str) or not 1 <= len(value) <= NAME_MAX:
        raise ApiError("invalid_parameter", f"{field_name}: a string of 1 to {NAME_MAX} characters.", field=field_name)
    return value


class Projects:
    """Rules over the store's projects: names are checked, taken names are a 409, ``/upload`` creates on first use."""

    def __init__(self, store: Store, ids: IdSource) -> None:
        self.store, self.ids = store, ids

    def create(self, owner: str, name: str, now: float) -> Project:
        """A new project; 409 ``project_exists`` with its ``project_id`` when the user already has the name."""
        project = Project(0, self.ids.hex(8), name, owner, now)
        kept = self.store.add_project(project)
        if kept is not project:
            raise ApiError(
                "project_exists",
                f"project_name: {name!r} already exists.",
                project_id=kept.project_id,
                project_name=kept.name,
            )
        return kept

    def file_into(self, owner: str, name: str, file_id: str, now: float) -> Project:
        """File an upload into the user's project of that name, created if it does not exist yet."""
        if self.store.get_project(owner, name) is None:
            self.store.add_project(Project(0, self.ids.hex(8), name, owner, now))
        return self.store.add_project_file(owner, name, file_id)

    def listing(self, owner: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The user's projects, newest first, in v2 pagination."""
        projects = sorted(self.store.projects(owner), key=lambda p: p.project_id, reverse=True)
        chunk, pagination = paginate(projects, query)
        return {"projects": [p.as_json() for p in chunk], "pagination": pagination}
