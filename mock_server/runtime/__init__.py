"""The live edge of the mock: SSE queues, webhook attempts and the real-clock timer, driven by the
backend's events. State code never touches these; these never hold state the store should."""

from mock_server.runtime.delivery import Deliverer
from mock_server.runtime.runtime import Runtime, runtime_for
from mock_server.runtime.streams import Frame, Streams, Subscription
from mock_server.runtime.suspending import can_run_on, moves_between_threads, suspending
from mock_server.runtime.timer import Timer

__all__ = [
    "Deliverer",
    "Frame",
    "Runtime",
    "Streams",
    "Subscription",
    "Timer",
    "can_run_on",
    "moves_between_threads",
    "runtime_for",
    "suspending",
]
