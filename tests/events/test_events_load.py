"""Load: N jobs x 4 variations reach every open stream and the webhook exactly once each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from events_support import LATENCY, TOKEN, Receiver, SseStream, deliveries, put_webhook, start_job, wait_until

from mock_server.testing import LiveServer

JOBS, VARIATIONS, STREAMS = 10, 4, 3


def test_n_jobs_x_4_variations_give_every_stream_and_the_webhook_each_result_exactly_once(
    server: LiveServer, open_stream: Callable[..., SseStream], make_receiver: Callable[..., Receiver]
) -> None:
    receiver = make_receiver()
    put_webhook(server, TOKEN, receiver.url)
    streams = [open_stream(server) for _ in range(STREAMS)]
    jobs = {start_job(server, TOKEN, variations=VARIATIONS) for _ in range(JOBS)}
    server.control.advance(VARIATIONS * LATENCY)
    published = [n for n in server.control.notifications(TOKEN) if n["name"] == "image_result"]
    expected = {(n["data"]["id_task"], n["data"]["group_index"]) for n in published}
    assert len(published) == len(expected) == JOBS * VARIATIONS and {job for job, _ in expected} == jobs
    last = str(server.control.notifications(TOKEN)[-1]["id"])
    for stream in streams:
        live = stream.wait_live(lambda fs: any(f.id == last for f in fs), "the last event on every stream")
        results = [(f.json["data"]["id_task"], f.json["data"]["group_index"]) for f in live if f.name == "image_result"]
        assert len(results) == JOBS * VARIATIONS and set(results) == expected
    wait_until(lambda: all(d["status"] == "delivered" for d in deliveries(server)), what="every delivery to land")
    received = receiver.of("image_result")
    assert len(received) == JOBS * VARIATIONS
    assert {(r.json()["data"]["id_task"], r.json()["data"]["group_index"]) for r in received} == expected
    per_delivery = Counter(r.headers["x-webhook-delivery"] for r in receiver.all())
    assert set(per_delivery.values()) == {1} and len(per_delivery) == len(deliveries(server))
