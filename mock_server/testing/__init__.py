"""Test harness: drive the mock, run it, and the helpers a test of a PiktID client needs.

``mock_piktid`` (respx, in process), ``LiveServer`` (uvicorn in a thread, for any client) and
``MockControl`` drive the mock; ``RemoteControl`` does what ``MockControl`` does over the HTTP
control API, from any process. ``WebhookReceiver`` records webhook deliveries over real HTTP,
``sample_image`` makes an image to upload, ``wait_until`` bounds a wait on another thread, and
``need_tool`` finds an outside program a test needs, ``RedisServer`` runs a throwaway Redis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mock_server.testing._bridge import MockPiktid, mock_piktid
from mock_server.testing._control import MockControl
from mock_server.testing._tools import need_tool
from mock_server.testing._wait import wait_until

if TYPE_CHECKING:
    from mock_server.testing._images import sample_image
    from mock_server.testing._live import LiveServer
    from mock_server.testing._redis import RedisServer
    from mock_server.testing._remote import ControlError, RemoteControl
    from mock_server.testing._webhooks import Delivery, WebhookReceiver

_LAZY = {
    "ControlError": "_remote",
    "Delivery": "_webhooks",
    "LiveServer": "_live",
    "RedisServer": "_redis",
    "RemoteControl": "_remote",
    "WebhookReceiver": "_webhooks",
    "sample_image": "_images",
}
"""Names imported on first use: their modules pull in uvicorn, redis, Pillow or http.server, which the
``piktid_mock`` fixture (this package's commonest importer, inside a test run's first test) never needs."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ControlError",
    "Delivery",
    "LiveServer",
    "MockControl",
    "MockPiktid",
    "RedisServer",
    "RemoteControl",
    "WebhookReceiver",
    "mock_piktid",
    "need_tool",
    "sample_image",
    "wait_until",
]
