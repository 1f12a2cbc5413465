"""A Starlette fake of PiktID's Image Playground API (v2): ``create_app(Settings(...))``."""

from mock_server.backend.errors import ApiError
from mock_server.backend.service import Backend
from mock_server.http.app import create_app
from mock_server.settings import Settings

__all__ = ["ApiError", "Backend", "Settings", "create_app"]
