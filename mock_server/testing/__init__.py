"""Test harness: drive the mock, run it, and the helpers a test of a PiktID client needs.

``mock_piktid`` (respx, in process), ``LiveServer`` (uvicorn in a thread, for any client) and
``MockControl`` drive the mock; ``RemoteControl`` does what ``MockControl`` does over the HTTP
control API, from any process. ``WebhookReceiver`` records webhook deliveries over real HTTP,
``sample_image`` makes an image to upload, ``wait_until`` bounds a wait on another thread, and
``need_tool`` finds an outside program a test needs, ``RedisServer`` runs a throwaway Redis.
"""

from mock_server.testing._bridge import MockPiktid, mock_piktid
from mock_server.testing._control import MockControl
from mock_server.testing._images import sample_image
from mock_server.testing._live import LiveServer
from mock_server.testing._redis import RedisServer
from mock_server.testing._remote import ControlError, RemoteControl
from mock_server.testing._tools import need_tool
from mock_server.testing._wait import wait_until
from mock_server.testing._webhooks import Delivery, WebhookReceiver

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
