"""Test harness: ``MockControl``, ``LiveServer`` (uvicorn in a thread) and ``mock_piktid`` (respx)."""

from mock_server.testing._bridge import MockPiktid, mock_piktid
from mock_server.testing._control import MockControl
from mock_server.testing._live import LiveServer

__all__ = ["LiveServer", "MockControl", "MockPiktid", "mock_piktid"]
