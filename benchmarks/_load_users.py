"""Simulated users of the load test: what each one did (the ledger the checks compare the server
against) and the actions they take: uploads, generations, polls, downloads, and SSE streams.

Only the worker that created a job continues its conversation, and it awaits each answer, so the
order of a job's generations here is the server's ``image_index`` order.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

UPLOAD = Path(__file__).resolve().parent.parent / "fixtures" / "images" / "face.jpg"
SIZES = ("1K", "2K", "4K")
Key = tuple[str, int, int]
"""A variation: (job_id, image_index, group_index)."""


@dataclass(frozen=True, slots=True)
class Generation:
    size: str
    count: int
    failed: bool


@dataclass
class Stream:
    """One open SSE stream: every live ``image_result`` it got, by variation, with notification ids."""

    seen: Counter[Key] = field(default_factory=Counter)
    statuses: dict[Key, str] = field(default_factory=dict)
    ids: dict[int, Key] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None

    def note(self, notification: dict[str, Any]) -> None:
        if notification.get("name") != "image_result":
            return
        data = notification["data"]
        key = (data["id_task"], data["image_index"], data["group_index"])
        self.seen[key] += 1
        self.statuses[key] = data["status"]
        self.ids[notification["id"]] = key


@dataclass
class Traffic:
    """Every answer the load got, across users."""

    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len(self.transport_errors)

    def expect(self, what: str, response: httpx.Response, *codes: int) -> bool:
        self.statuses[response.status_code] += 1
        if response.status_code in codes:
            return True
        if len(self.unexpected) < 50:
            self.unexpected.append(f"{what}: {response.status_code} {response.text[:200]}")
        else:
            self.unexpected.append(what)
        return False


@dataclass
class User:
    token: str
    flaky: bool
    secret: str = ""
    files: list[str] = field(default_factory=list)
    jobs: dict[str, list[Generation]] = field(default_factory=dict)
    streams: list[Stream] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def expected(self) -> dict[Key, str]:
        """Every variation this user started, and the status it must end with."""
        return {
            (job, index, group): "failed" if g.failed else "completed"
            for job, gens in self.jobs.items()
            for index, g in enumerate(gens)
            for group in range(g.count)
        }


async def _timed(traffic: Traffic, what: str, call: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        traffic.transport_errors.append(f"{what}: {type(exc).__name__}: {exc}")
        return None
    traffic.latencies.append(time.perf_counter() - started)
    return response


async def upload(api: httpx.AsyncClient, user: User, traffic: Traffic) -> None:
    r = await _timed(traffic, "POST /upload", api.post("/upload", json={"filename": "face.jpg"}, headers=user.auth))
    if r is None or not traffic.expect("POST /upload", r, 200):
        return
    body = r.json()
    put = await _timed(
        traffic,
        "PUT upload_url",
        api.put(body["upload_url"], content=UPLOAD.read_bytes(), headers={"Content-Type": body["content_type"]}),
    )
    if put is not None and traffic.expect("PUT upload_url", put, 200):
        user.files.append(body["file_id"])


async def generate(api: httpx.AsyncClient, user: User, traffic: Traffic, rng: random.Random, own: list[str]) -> None:
    gen = Generation(rng.choice(SIZES), rng.randint(1, 4), rng.random() < 0.15)
    payload: dict[str, Any] = {
        "prompt": f"load test image for {user.token}",
        "size": gen.size,
        "num_variations": gen.count,
    }
    if user.files and rng.random() < 0.3:
        payload["image_ids"] = [rng.choice(user.files)]
    continued = rng.choice(own) if own and rng.random() < 0.15 else None
    if continued:
        payload["conversation_id"] = continued
    headers = {**user.auth, **({"X-Mock-Scenario": "failed"} if gen.failed else {})}
    r = await _timed(traffic, "POST /edit-chat", api.post("/edit-chat", json=payload, headers=headers))
    if r is None or not traffic.expect("POST /edit-chat", r, 202, 429) or r.status_code == 429:
        return
    job = r.json()["job_id"]
    if continued and job != continued:
        traffic.unexpected.append(f"continuing {continued} answered job {job}")
    user.jobs.setdefault(job, []).append(gen)
    if not continued:
        own.append(job)


async def poll(api: httpx.AsyncClient, user: User, traffic: Traffic, rng: random.Random, own: list[str]) -> None:
    if not own:
        return await upload(api, user, traffic)
    job = rng.choice(own)
    kind = rng.random()
    if kind < 0.6:
        r = await _timed(traffic, "GET results", api.get(f"/jobs/{job}/results", headers=user.auth))
        if r is not None and traffic.expect("GET results", r, 200) and rng.random() < 0.08:
            await _download(api, r.json(), traffic)
    elif kind < 0.8:
        r = await _timed(traffic, "GET status", api.get(f"/jobs/{job}/status", headers=user.auth))
        if r is not None:
            traffic.expect("GET status", r, 200)
    else:
        body = {"name_list": "image_result", "id_task": [job]}
        r = await _timed(traffic, "POST /notifications", api.post("/notifications", json=body, headers=user.auth))
        if r is not None:
            traffic.expect("POST /notifications", r, 200)


async def _download(api: httpx.AsyncClient, results: dict[str, Any], traffic: Traffic) -> None:
    """Fetch one thumbnail (renders on the server, in its thread pool, and is cached)."""
    links = [r["output"]["thumbnail"] for r in results["results"] if r["output"]["thumbnail"]]
    if links:
        r = await _timed(traffic, "GET thumbnail", api.get(links[0]))
        if r is not None:
            traffic.expect("GET thumbnail", r, 200)


async def listen(client: httpx.AsyncClient, user: User, stream: Stream) -> None:
    """Hold one stream open, noting every frame, until cancelled.

    httpx-sse (0.4) turns a ``:keepalive`` comment into an empty ``message`` event once the stream
    has had an ``id:``, so events without data are skipped.
    """
    try:
        async with aconnect_sse(client, "GET", "/notifications/events", headers=user.auth) as events:
            async for event in events.aiter_sse():
                if event.event == "backfill_complete":
                    stream.ready.set()
                elif event.data and event.event in ("message", "backfill"):
                    stream.note(json.loads(event.data))
        stream.error = "the server ended the stream"
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # any failure of a stream is a finding of the load test, not a crash of it
        stream.error = f"{type(exc).__name__}: {exc}"
    finally:
        stream.ready.set()


async def work(
    api: httpx.AsyncClient, user: User, traffic: Traffic, rng: random.Random, deadline: float, max_requests: int
) -> None:
    """One worker of ``user``: weighted random actions until the deadline or the request budget."""
    own: list[str] = []
    while time.monotonic() < deadline and traffic.requests < max_requests:
        roll = rng.random()
        if roll < 0.45:
            await generate(api, user, traffic, rng, own)
        elif roll < 0.9:
            await poll(api, user, traffic, rng, own)
        else:
            await upload(api, user, traffic)
