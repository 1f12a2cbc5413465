"""The mock's state and rules (no Starlette, no sockets). Outside this package, import from here:
``Backend`` is the only door, the other names are the plain data its operations take and give."""

from mock_server.backend.accounts import User, load_users_file
from mock_server.backend.control import ControlService, fault_fields
from mock_server.backend.errors import ApiError
from mock_server.backend.events import AttemptStarted, Event, Published, Scheduled, WasReset
from mock_server.backend.faults import KINDS as FAULT_KINDS
from mock_server.backend.faults import STATUS_CODES as FAULT_STATUS_CODES
from mock_server.backend.identities import DEFAULT_NAMES, DOCS_IDENTITY_CODE
from mock_server.backend.images import RenderSpec, probe_image, render_png
from mock_server.backend.notifications import Filters, Notification
from mock_server.backend.numbers import ascii_int
from mock_server.backend.service import Accepted, Backend, LiveFrame

__all__ = [
    "DEFAULT_NAMES",
    "DOCS_IDENTITY_CODE",
    "FAULT_KINDS",
    "FAULT_STATUS_CODES",
    "Accepted",
    "ApiError",
    "AttemptStarted",
    "Backend",
    "ControlService",
    "Event",
    "Filters",
    "LiveFrame",
    "Notification",
    "Published",
    "RenderSpec",
    "Scheduled",
    "User",
    "WasReset",
    "ascii_int",
    "fault_fields",
    "load_users_file",
    "probe_image",
    "render_png",
]
