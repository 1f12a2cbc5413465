"""Test harness: ``MockControl``, ``LiveServer`` (uvicorn in a thread) and ``mock_piktid`` (respx)."""

from mock_server.testing._control import MockControl
from mock_server.testing._live import LiveServer

__all__ = ["LiveServer", "MockControl"]
