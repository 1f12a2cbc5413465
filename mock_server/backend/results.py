"""The JSON of ``GET /jobs/{id}/status`` and ``GET /jobs/{id}/results``, from a ``Job``.

Quirk reproduced on purpose: an Image Playground job is a long-lived conversation held at
``status: "completed"``, so status never signals readiness; each result carries its own status.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from mock_server.backend.files import Files
from mock_server.backend.jobs import Generation, ImageRef, Job, Variation
from mock_server.backend.links import Links
from mock_server.backend.signing import iso


@dataclass(frozen=True, slots=True)
class Sources:
    """What a results body reads besides the job: its uploaded files and the link signer."""

    files: Files
    links: Links

    def output(self, job: Job, generation: Generation, variation: Variation, variant: str) -> str:
        return self.links.output_link(job.base_url, job.job_id, generation.image_index, variation.group_index, variant)


def _counts(pairs: list[tuple[Generation, Variation]]) -> tuple[int, int, int]:
    completed = failed = 0
    for _, v in pairs:
        if v.status == "completed":
            completed += 1
        elif v.status == "failed":
            failed += 1
    return len(pairs), completed, failed


def job_status(job: Job, pairs: list[tuple[Generation, Variation]] | None = None) -> dict[str, Any]:
    """``pairs``: ``job.variations()`` when the caller has it already (``job_results``)."""
    total, completed, failed = _counts(job.variations() if pairs is None else pairs)
    return {
        "job_id": job.job_id,
        "job_type": "edit_chat",
        "status": "completed",
        "progress": 100.0,
        "total_images": total,
        "processed_images": completed + failed,
        "error_message": None,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at or job.created_at),
    }


def _ref_links(backend: Sources, job: Job, ref: ImageRef) -> dict[str, str | None]:
    if ref.kind == "file":
        stored = backend.files.get(ref.key)
        url = backend.files.download_url(stored, job.base_url) if stored else None
        return {"full_size": url, "thumbnail": url}
    source = job.generations[ref.image_index]
    variation = source.variations[ref.group_index]
    return {
        "full_size": backend.output(job, source, variation, "full"),
        "thumbnail": backend.output(job, source, variation, "thumb"),
    }


def original_filename(backend: Sources, job: Job, g: Generation) -> str:
    """The uploaded name of the image a generation edits, traced back through the conversation.

    A continuation edits an earlier output, so it keeps the name of the file that conversation
    started from; a text-to-image conversation is named after its job (``<job_id>.png``).
    """
    ref = g.working
    while ref is not None and ref.kind == "output":
        ref = job.generations[ref.image_index].working
    stored = backend.files.get(ref.key) if ref is not None else None
    if stored is not None:
        return stored.filename
    return f"{job.job_id}.png"


def download_filename(original: str, g: Generation, v: Variation) -> str:
    """Where a client saves an output: the original's stem, the variation's indexes, ``.png`` (outputs are PNG)."""
    return f"{_stem(original) or 'image'}_{g.image_index}_{v.group_index}.png"


@lru_cache(maxsize=1024)
def _stem(filename: str) -> str:
    """``PurePosixPath(filename).stem``, remembered: every results read of a job asks it again (hot path)."""
    return PurePosixPath(filename).stem


def _result(backend: Sources, job: Job, g: Generation, v: Variation) -> dict[str, Any]:
    done = v.status == "completed"
    refs = [r for r in (g.working, *g.references) if r is not None]
    original = original_filename(backend, job, g)
    return {
        "job_id": job.job_id,
        "image_index": g.image_index,
        "group_index": v.group_index,
        "version": 0,
        "inputs": [_ref_links(backend, job, r) for r in refs],
        "output": {
            "full_size": backend.output(job, g, v, "full") if done else None,
            "thumbnail": backend.output(job, g, v, "thumb") if done else None,
        },
        "model_used": v.model_used,
        "status": v.status,
        "error_message": v.error_message,
        "processing_time": round(v.finished_at - g.created_at, 3) if v.finished_at is not None else None,
        "created_at": iso(g.created_at),
        "width": g.size[0],
        "height": g.size[1],
        "original_filename": original,
        "download_filename": download_filename(original, g, v),
        "input_description": g.request.prompt,
        "quality_score": None,
        "feedback": None,
        "feedback_comment": None,
    }


def _attachments(backend: Sources, job: Job) -> list[dict[str, Any]]:
    out = []
    for g in job.generations:
        for role, ref in [("working", g.working), *(("reference", r) for r in g.references)]:
            if ref is not None and ref.kind == "file":
                stored = backend.files.get(ref.key)
                out.append(
                    {
                        "file_id": ref.key,
                        "filename": stored.filename if stored else None,
                        "image_index": g.image_index,
                        "role": role,
                        **_ref_links(backend, job, ref),
                    }
                )
    return out


def job_results(backend: Sources, job: Job) -> dict[str, Any]:
    pairs = job.variations()
    total, completed, failed = _counts(pairs)
    last = job.generations[-1].request if job.generations else None
    identities = [
        {"identity_code": code, "name": name, "image_index": g.image_index}
        for g in job.generations
        for code, name in g.identities
    ]
    return {
        **job_status(job, pairs),
        "results": [_result(backend, job, g, v) for g, v in pairs],
        "summary": {
            "total_images": total,
            "successful": completed,
            "failed": failed,
            "processing": total - completed - failed,
            "success_rate": round(completed / total, 4) if total else 0.0,
            "average_quality_score": None,
        },
        "credits_used": float(sum(v.price for _, v in pairs if v.status == "completed")),
        "edit_chat_attachments": _attachments(backend, job),
        "edit_chat_identities": identities,
        "should_post_process": False,
        "post_processing_status": None,
        "post_processing_error": None,
        "identity_code": identities[0]["identity_code"] if identities else None,
        "identity_name": identities[0]["name"] if identities else None,
        "project_id": None,
        "project_text": None,
        "project_key": None,
        "processing_options": None
        if last is None
        else {
            "model": last.model,
            "size": last.size,
            "num_variations": last.num_variations,
            "output_mode": last.output_mode,
            "aspect_ratio": last.aspect_ratio,
            "width": last.width,
            "height": last.height,
        },
    }
