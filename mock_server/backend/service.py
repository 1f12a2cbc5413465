"""``Backend``: the whole service state, whose methods are the API's operations.

It knows nothing of Starlette: endpoints parse a request, call one method here, and render what
it returns (or the ``ApiError`` it raises). All methods run on the app's event loop, one at a
time between awaits, so credits, ids and notifications need no locks.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.backend import credits
from mock_server.backend.accounts import Accounts, User, check_plan, check_users, load_users_file
from mock_server.backend.clock import Clock, Scheduler
from mock_server.backend.errors import ApiError
from mock_server.backend.faults import Faults
from mock_server.backend.files import Files
from mock_server.backend.identities import Identities
from mock_server.backend.ids import IdSource
from mock_server.backend.images import RenderSpec
from mock_server.backend.jobs import Generation, ImageRef, Job, Variation
from mock_server.backend.journal import Journal
from mock_server.backend.notifications import Notifications
from mock_server.backend.numbers import ascii_int
from mock_server.backend.projects import Projects, check_name
from mock_server.backend.rate_limit import RateLimiter
from mock_server.backend.results import job_results, job_status
from mock_server.backend.signing import Signer
from mock_server.backend.webhooks import Webhooks
from mock_server.settings import Settings
from piktid_spec import (
    CREDITS_PER_IMAGE,
    DEFAULT_ENGINE,
    EditChatRequest,
    Violation,
    output_size,
    rejection,
    thumbnail_size,
    validate_edit_chat,
)


@dataclass(frozen=True, slots=True)
class Accepted:
    body: dict[str, Any]
    warnings: list[Violation]


class Backend:
    """The mock's whole state and the API operations on it: what every endpoint, the control API and
    the harness call. One instance is one mock; its settings, clock and id source decide every answer."""

    notifications: Notifications
    webhooks: Webhooks

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = Clock(self.settings.clock)
        self.scheduler = Scheduler(self.clock)
        users = load_users_file(self.settings.users_file) if self.settings.users_file else []
        self._preset_users = [*users, *check_users(self.settings.extra_users, "extra_users")]
        """Read once: a reset restores them even if the file has changed or gone since."""
        self.reset(self.settings.seed)

    def reset(self, seed: int | None = None) -> None:
        """Forget everything (users, files, jobs, notifications, webhooks, pending callbacks)."""
        s = self.settings
        self.scheduler.clear()
        if hasattr(self, "notifications"):  # the previous state: end its streams and deliveries
            self.notifications.close()
            self.webhooks.cancel()
        self.ids = IdSource(seed)
        self.signer = Signer(self.ids.secret())
        self.accounts = Accounts(not s.strict, s.open_plan, s.open_credits)
        self.rate = RateLimiter(self.clock, s.rate_limit, s.rate_window)
        self.files = Files(self.clock, self.ids, self.signer, s.upload_ttl, s.upload_max_bytes)
        self.identities = Identities(self.ids, self.clock.now())
        self.projects = Projects(self.ids)
        self.jobs: dict[str, Job] = {}
        self.notifications = Notifications(self.clock, self.ids)
        self.webhooks = Webhooks(self)
        self.faults = Faults(seed)
        self.journal = Journal()
        self.notifications.listeners.append(self.webhooks.on_notification)
        for entry in self._preset_users:
            self.add_user(entry)

    def add_user(self, entry: dict[str, Any]) -> User:
        """A user from a checked users-file entry (see ``check_users``)."""
        user = self.accounts.add(
            entry["token"], entry.get("plan", "pro"), float(entry.get("credits", self.settings.open_credits))
        )
        for identity in entry.get("identities") or ():
            self.identities.create(user.token, identity.get("name") or None, self.clock.now())
        return user

    # --- uploads -------------------------------------------------------------------------------
    def upload(self, user: User, body: object, base_url: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError("invalid_body", "The request body must be a JSON object.")
        filename, project = body.get("filename"), body.get("project_name")
        if filename is not None and not isinstance(filename, str):
            raise ApiError("invalid_type", "filename: Wrong type: string expected.", field="filename")
        if project is not None:
            check_name(project)
        answer = self.files.create_upload(user.token, filename or None, project, self.settings.public_url or base_url)
        if project is not None:
            folder = self.projects.ensure(user.token, project, self.clock.now())
            folder.file_ids.append(answer["file_id"])
            answer["project_id"] = folder.project_id
        return answer

    # --- projects ------------------------------------------------------------------------------
    def create_project(self, user: User, body: object) -> dict[str, Any]:
        """``POST /project {"project_name"}``: the new project, or 409 with the existing one's ``project_id``."""
        if not isinstance(body, dict):
            raise ApiError("invalid_body", "The request body must be a JSON object.")
        if "project_name" not in body:
            raise ApiError("invalid_parameter", "project_name: required.", field="project_name")
        name = check_name(body["project_name"])
        return self.projects.create(user.token, name, self.clock.now()).as_json()

    def list_projects(self, user: User, query: Mapping[str, str]) -> dict[str, Any]:
        return self.projects.listing(user.token, query)

    # --- identities ----------------------------------------------------------------------------
    def upload_identity(
        self, user: User, image: bytes, filename: str | None, name: str | None, tag: str | None
    ) -> dict[str, Any]:
        """A new identity from a decodable face image; 409 naming the existing one for the same bytes."""
        same = self.identities.same_image(user.token, image)
        if same is not None:
            raise ApiError(
                "identity_exists",
                f"image: this face is already saved as identity {same.identity_code!r}.",
                existing_identity_code=same.identity_code,
                existing_identity_name=same.name,
            )
        identity = self.identities.create(user.token, name, self.clock.now(), tag=tag, filename=filename, image=image)
        return {**identity.as_json(), "success": True, "face_detected": True}

    # --- /edit-chat ----------------------------------------------------------------------------
    def edit_chat(self, user: User, payload: object, base_url: str, *, outcome: str | None = None) -> Accepted:
        """Validate (400/403), rate-limit (429), resolve (404/400), filter (403), reserve (402), schedule."""
        violations = validate_edit_chat(payload, account=user.account())
        rejected = rejection(violations, strict=self.settings.strict)
        if rejected:
            raise ApiError.from_violations(*rejected)
        request = EditChatRequest.from_payload(payload, violations)
        self.rate.hit(user.token)
        job = self._conversation(user, request.conversation_id)
        working, references, identities = self._resolve(user, request, job)
        self._content_filter(request)
        price = CREDITS_PER_IMAGE[request.size]
        credits.reserve(user, price * request.num_variations)
        job = job or self._new_job(user, base_url)
        outcome = outcome or self.faults.outcome(user.token)
        generation = self._start(job, request, working, references, identities, price, outcome)
        self._publish_batch(job, generation)
        return Accepted(
            {"job_id": job.job_id, "conversation_id": job.job_id, "status": "processing"},
            [v for v in violations if not v.is_error],
        )

    def _conversation(self, user: User, conversation_id: str | None) -> Job | None:
        if conversation_id is None:
            return None
        job = self.jobs.get(conversation_id)
        if job is None or job.owner != user.token:
            raise ApiError("conversation_not_found", f"conversation_id: {conversation_id!r} not found.")
        return job

    def _resolve(
        self, user: User, request: EditChatRequest, job: Job | None
    ) -> tuple[ImageRef | None, tuple[ImageRef, ...], tuple[tuple[str, str], ...]]:
        files = [self.files.referenced(user.token, file_id) for file_id in request.image_ids]
        refs = [ImageRef("file", f.file_id, f.image_size or (0, 0)) for f in files]
        identities = tuple(
            (i.identity_code, i.name)
            for i in (self.identities.get(user.token, user.plan, code) for code in request.identity_codes)
        )
        working = job.last_output() if job else None
        if working is None and refs:
            working, refs = refs[0], refs[1:]
        return working, tuple(refs), identities

    def _content_filter(self, request: EditChatRequest) -> None:
        prompt = (request.prompt or "").lower()
        for term in self.settings.blocklist:
            if term.lower() in prompt:
                raise ApiError("content_blocked", f"prompt: blocked by the content filter (term {term!r}).")

    def _new_job(self, user: User, base_url: str) -> Job:
        job = Job(self.ids.new("job"), user.token, self.clock.now(), self.settings.public_url or base_url)
        self.jobs[job.job_id] = job
        return job

    def _start(
        self,
        job: Job,
        request: EditChatRequest,
        working: ImageRef | None,
        references: tuple[ImageRef, ...],
        identities: tuple[tuple[str, str], ...],
        price: float,
        outcome: str | None,
    ) -> Generation:
        now = self.clock.now()
        size = output_size(request, working.size if working else None)
        generation = Generation(len(job.generations), request, now, size, working, references, identities)
        job.generations.append(generation)
        job.updated_at = now
        for index in range(request.num_variations):
            due = now + self.settings.latency * (index + 1)
            variation = Variation(index, price, due, forced=outcome if outcome != "completed" else None)
            generation.variations.append(variation)
            self.scheduler.at(due, functools.partial(self.finish, job, generation, variation))
        return generation

    # --- completion ----------------------------------------------------------------------------
    def finish(self, job: Job, generation: Generation, variation: Variation) -> None:
        """A variation's time has come: complete or fail it, settle its credits, notify."""
        if variation.final or self.jobs.get(job.job_id) is not job:
            return
        model = generation.request.model
        refused = variation.forced == "refused" or self._refuses(generation.request.prompt)
        if variation.forced == "failed":
            self._fail(variation, "Generation failed (outcome forced by the mock).")
        elif refused and model != "auto":
            self._fail(
                variation,
                f"The {model} engine refused this request. Specifying an engine disables "
                'the fallback; use model "auto" to fall back to another engine.',
            )
        else:
            variation.status = "completed"
            variation.model_used = (
                self.settings.fallback_engine if refused else (DEFAULT_ENGINE if model == "auto" else model)
            )
        variation.finished_at = job.updated_at = self.clock.now()
        user = self.accounts.get(job.owner)
        if user is not None:
            settle = credits.charge if variation.status == "completed" else credits.release
            settle(user, variation.price)
        self.notifications.publish(job.owner, "image_result", self.image_result(job, generation, variation))
        if generation.final:
            self._publish_batch(job, generation)

    def _fail(self, variation: Variation, message: str) -> None:
        variation.status, variation.error_message = "failed", message

    def _refuses(self, prompt: str | None) -> bool:
        text = (prompt or "").lower()
        return any(term.lower() in text for term in self.settings.refusal_terms)

    def image_result(self, job: Job, generation: Generation, variation: Variation) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id_task": job.job_id,
            "image_index": generation.image_index,
            "group_index": variation.group_index,
            "status": variation.status,
            "output_link": None,
            "output_thumbnail_link": None,
        }
        if variation.status == "completed":
            data["output_link"] = self.output_link(job, generation, variation, "full")
            data["output_thumbnail_link"] = self.output_link(job, generation, variation, "thumb")
            data["model_used"] = variation.model_used
        else:
            data["error_message"] = variation.error_message
        return data

    def _publish_batch(self, job: Job, generation: Generation) -> None:
        self.notifications.publish(
            job.owner,
            "batch_edit",
            {
                "id_task": job.job_id,
                "image_index": generation.image_index,
                "status": generation.status,
                "job_type": "edit_chat",
                "total_images": len(generation.variations),
                "processed_images": sum(v.final for v in generation.variations),
            },
        )

    # --- jobs and outputs ----------------------------------------------------------------------
    def job(self, user: User, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.owner != user.token:
            raise ApiError("job_not_found", f"job {job_id!r} not found.")
        return job

    def status(self, user: User, job_id: str) -> dict[str, Any]:
        return job_status(self.job(user, job_id))

    def results(self, user: User, job_id: str) -> dict[str, Any]:
        return job_results(self, self.job(user, job_id))

    def output_link(self, job: Job, generation: Generation, variation: Variation, variant: str) -> str:
        name = f"{generation.image_index}-{variation.group_index}-{variant}"
        token = self.signer.token("GET", "outputs", job.job_id, name)
        return f"{job.base_url}/storage/files/outputs/{job.job_id}/{name}-{token}.png"

    def output(self, job_id: str, name: str) -> tuple[RenderSpec, tuple[int, int]] | None:
        """What to render for an output link's last path segment, or None (404) if not a live link."""
        parts = name.removesuffix(".png").split("-")
        job = self.jobs.get(job_id)
        indexes = [ascii_int(p, 4) for p in parts[:2]]
        if job is None or len(parts) != 4 or None in indexes:
            return None
        key = "-".join(parts[:3])
        if not self.signer.check_token(parts[3], "GET", "outputs", job_id, key):
            return None
        image_index, group_index, variant = indexes[0] or 0, indexes[1] or 0, parts[2]
        generation = job.generations[image_index] if image_index < len(job.generations) else None
        variation = (
            generation.variations[group_index] if generation and group_index < len(generation.variations) else None
        )
        if generation is None or variation is None or variation.status != "completed":
            return None
        spec = RenderSpec(
            job_id,
            image_index,
            group_index,
            generation.request.prompt,
            variation.model_used or "",
            generation.request.size,
            *generation.size,
            seed=self.ids.seed or 0,
        )
        return spec, generation.size if variant == "full" else thumbnail_size(generation.size)

    # --- accounts and control ------------------------------------------------------------------
    def authenticate(self, token: str | None) -> User:
        return self.accounts.authenticate(token)

    def set_account(
        self,
        token: str,
        *,
        plan: str | None = None,
        credits: float | None = None,
        entitlements: list[str] | None = None,
        identities: list[str] | None = None,
    ) -> User:
        """Create or change a user; ``identities`` names new identities to give it.

        Setting credits sets the balance and restarts its conservation count (``charged``); variations
        already reserved are still charged on completion, so a balance set below them goes negative,
        as an account charged on completion would.
        """
        user = self.accounts.get(token) or self.accounts.add(
            token, plan or self.settings.open_plan, self.settings.open_credits
        )
        if plan is not None:
            user.plan = check_plan(plan)
        if credits is not None:
            user.credits, user.charged = float(credits), 0.0
        if entitlements is not None:
            user.entitlements = frozenset(entitlements)
        for name in identities or ():
            self.identities.create(token, name, self.clock.now())
        return user

    def account_view(self, user: User) -> dict[str, Any]:
        """The control API's view of a user: balance, reservations, charges and own identities."""
        own = [
            {"identity_code": i.identity_code, "name": i.name}
            for i in self.identities.own.values()
            if i.owner == user.token
        ]
        return {**user.as_dict(), "identities": own}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock; every job completion, webhook retry and expiry that falls due runs now."""
        ran = self.scheduler.advance(seconds)
        return {"now": self.clock.now(), "ran": ran, "pending": self.scheduler.pending()}
