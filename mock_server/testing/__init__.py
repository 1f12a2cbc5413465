"""Test harness: ``MockControl`` (in-process) and ``RemoteControl`` (over HTTP, any process), ``LiveServer``
(uvicorn in a thread) and ``mock_piktid`` (respx), and ``need_tool`` for tests that need an outside program."""

from mock_server.testing._bridge import MockPiktid, mock_piktid
from mock_server.testing._control import MockControl
from mock_server.testing._live import LiveServer
from mock_server.testing._remote import ControlError, RemoteControl
from mock_server.testing._tools import need_tool

__all__ = ["ControlError", "LiveServer", "MockControl", "MockPiktid", "RemoteControl", "mock_piktid", "need_tool"]
