"""With the real clock (as ``piktid-mock serve`` runs), completions and webhook retries happen on their own."""

from __future__ import annotations

from collections.abc import Callable

from events_support import TOKEN, Receiver, SseStream, deliveries, put_webhook, start_job, wait_until

from mock_server.testing import LiveServer


def test_results_stream_and_retries_need_no_one_to_move_the_clock(
    make_server: Callable[..., LiveServer],
    open_stream: Callable[..., SseStream],
    make_receiver: Callable[..., Receiver],
) -> None:
    server = make_server(clock="real", latency=0.02, webhook_backoff=0.05)
    receiver = make_receiver(script={"image_result": [500, 503]})
    put_webhook(server, TOKEN, receiver.url)
    stream = open_stream(server)
    job = start_job(server, TOKEN, variations=2)
    live = stream.wait_live(lambda fs: sum(f.name == "image_result" for f in fs) == 2, "both results")
    assert {f.json["data"]["id_task"] for f in live} == {job}
    wait_until(
        lambda: deliveries(server) and all(d["status"] == "delivered" for d in deliveries(server)),
        what="every delivery, retries included, to land",
    )
    for delivery in deliveries(server, "image_result"):
        gaps = [b["at"] - a["at"] for a, b in zip(delivery["attempts"], delivery["attempts"][1:], strict=False)]
        assert all(gap >= 0.05 * 2**n - 0.01 for n, gap in enumerate(gaps))
    assert sorted(r.status for r in receiver.of("image_result")) == [204, 204, 500, 503]
