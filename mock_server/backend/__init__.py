"""The mock's state and rules: accounts, files, jobs, notifications, webhooks (no Starlette, no network).

Outside this package, import from here: ``Backend`` is the only door (its methods are the API's
operations), ``ControlService`` the control API's operations on it, ``ApiError`` how an operation
refuses (rendered by ``mock_server.http``); the other names are the plain data those take and give.
"""

from mock_server.backend.accounts import User, load_users_file
from mock_server.backend.control import ControlService, fault_fields
from mock_server.backend.errors import ApiError
from mock_server.backend.events import AttemptStarted, ClockChanged, Event, Published, Scheduled, WasReset
from mock_server.backend.faults import FAULT_KINDS, FAULT_STATUS_CODES
from mock_server.backend.identities import DEFAULT_NAMES, DOCS_IDENTITY_CODE, SHARED_IDENTITIES
from mock_server.backend.images import RenderSpec, probe_image, render_png
from mock_server.backend.jsontext import flat_without_floats, utf8_json
from mock_server.backend.notifications import Filters, Notification
from mock_server.backend.numbers import ascii_int
from mock_server.backend.service import Accepted, Backend, LiveFrame, SharedEvent

__all__ = [
    "DEFAULT_NAMES",
    "DOCS_IDENTITY_CODE",
    "FAULT_KINDS",
    "FAULT_STATUS_CODES",
    "SHARED_IDENTITIES",
    "Accepted",
    "ApiError",
    "AttemptStarted",
    "Backend",
    "ClockChanged",
    "ControlService",
    "Event",
    "Filters",
    "LiveFrame",
    "Notification",
    "Published",
    "RenderSpec",
    "Scheduled",
    "SharedEvent",
    "User",
    "WasReset",
    "ascii_int",
    "fault_fields",
    "flat_without_floats",
    "load_users_file",
    "probe_image",
    "render_png",
    "utf8_json",
]
