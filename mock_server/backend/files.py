"""Uploads: pre-signed PUT URLs that behave like S3's, and the files they receive.

``POST /upload`` answers a URL whose query carries a date, a lifetime and an HMAC over the file
id, Content-Type, date and lifetime. A PUT with a tampered query or another Content-Type is 403
(S3's SignatureDoesNotMatch), after its lifetime 403 (expired), with an Authorization header 400
(S3 allows one auth mechanism). Any bytes are accepted; undecodable ones fail when referenced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.backend.ids import IdSource
from mock_server.backend.links import Links

if TYPE_CHECKING:
    from mock_server.store import Store

CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@dataclass(slots=True)
class StoredFile:
    file_id: str
    owner: str
    filename: str
    content_type: str
    project_name: str | None
    created_at: float
    data: bytes | None = None
    image_size: tuple[int, int] | None = None

    @property
    def uploaded(self) -> bool:
        return self.data is not None


def content_type_for(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    if not suffix:
        return "image/jpeg"
    if suffix not in CONTENT_TYPES:
        raise ApiError(
            "unsupported_file_type",
            f"filename: unsupported extension {suffix!r}; use .jpg, .jpeg, .png or .webp.",
            field="filename",
        )
    return CONTENT_TYPES[suffix]


class Files:
    def __init__(
        self, store: Store, clock: Clock, ids: IdSource, links: Links, ttl: float, caps: tuple[int, int]
    ) -> None:
        """``caps``: the bytes of one upload and of all uploads kept (the oldest go first past it)."""
        self.store, self.clock, self.ids, self.links = store, clock, ids, links
        self.ttl, (self.max_bytes, self.total_bytes) = ttl, caps

    def create_upload(
        self, owner: str, filename: str | None, project_name: str | None, base_url: str
    ) -> dict[str, Any]:
        file_id = self.ids.new("file")
        name = filename or f"{self.ids.hex(16)}"
        stored = StoredFile(file_id, owner, name, content_type_for(name), project_name, self.clock.now())
        self.store.put_file(stored)
        return {
            "upload_url": self.links.upload_url(base_url, file_id, stored.content_type, self.clock.now(), self.ttl),
            "download_url": self.download_url(stored, base_url),
            "file_id": file_id,
            "filename": name,
            "content_type": stored.content_type,
            "project_name": project_name,
        }

    def download_url(self, stored: StoredFile, base_url: str) -> str:
        return self.links.download_url(base_url, stored.file_id, stored.content_type)

    def check_put(
        self,
        file_id: str,
        query: Mapping[str, str],
        content_type: str | None,
        has_authorization: bool,
        length: int | None,
    ) -> StoredFile:
        """Everything S3 checks before it reads the body."""
        if has_authorization:
            raise ApiError("upload_auth_conflict")
        stored = self.store.get_file(file_id)
        if stored is None or not self.links.upload_signed(file_id, query, content_type):
            raise ApiError("upload_signature_mismatch")
        deadline = self.links.upload_deadline(query)
        if deadline is None or self.clock.now() > deadline:
            raise ApiError("upload_expired")
        if length is not None and length > self.max_bytes:
            raise self.too_large()
        return stored

    def too_large(self) -> ApiError:
        mib = self.max_bytes / 2**20
        size = f"{mib:g} MiB ({self.max_bytes} bytes)" if mib >= 1 else f"{self.max_bytes} bytes"
        return ApiError("body_too_large", f"The upload is larger than {size}.", max_bytes=self.max_bytes)

    def complete_upload(self, stored: StoredFile, data: bytes, image_size: tuple[int, int] | None) -> None:
        stored.data, stored.image_size = data, image_size
        self.store.put_file(stored)
        self.store.cap_uploads(self.total_bytes)

    def get(self, file_id: str) -> StoredFile | None:
        return self.store.get_file(file_id)

    def referenced(self, owner: str, file_id: str) -> StoredFile:
        """A file an /edit-chat names: 404 unknown, another user's or never PUT; 400 undecodable."""
        stored = self.store.get_file(file_id)
        if stored is None or stored.owner != owner or not stored.uploaded:
            raise ApiError("file_not_found", f"image_ids: file {file_id!r} not found (or never uploaded).")
        if stored.image_size is None:
            raise ApiError(
                "undecodable_image", f"image_ids: file {file_id!r} is not a decodable image.", field="image_ids"
            )
        return stored

    def downloadable(self, file_id: str, name: str) -> StoredFile | None:
        """The uploaded file a download link's last segment names, if this mock signed it."""
        stored = self.store.get_file(file_id)
        if stored is None or not stored.uploaded:
            return None
        return stored if self.links.download_signed(file_id, name) else None
