"""``job_overview``: a job as plain data for an operator's view (the dashboard), every variation included."""

from __future__ import annotations

from typing import Any

from mock_server.backend.jobs import Generation, Job, Variation
from mock_server.backend.results import Sources


def _output(sources: Sources, job: Job, generation: Generation, variation: Variation) -> dict[str, Any]:
    done = variation.status == "completed"
    return {
        "group_index": variation.group_index,
        "status": variation.status,
        "model": variation.model_used,
        "credits": variation.price,
        "error_message": variation.error_message,
        "thumbnail": sources.output(job, generation, variation, "thumb") if done else None,
        "full": sources.output(job, generation, variation, "full") if done else None,
    }


def job_overview(sources: Sources, job: Job) -> dict[str, Any]:
    """Owner, times, base URL and each generation with its request and outputs (links absolute, on ``base_url``)."""
    return {
        "job_id": job.job_id,
        "owner": job.owner,
        "base_url": job.base_url,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "generations": [
            {
                "image_index": g.image_index,
                "status": g.status,
                "prompt": g.request.prompt,
                "model": g.request.model,
                "size": g.request.size,
                "pixels": g.size,
                "charged": sum(v.price for v in g.variations if v.status == "completed"),
                "reserved": sum(v.price for v in g.variations if v.status == "processing"),
                "outputs": [_output(sources, job, g, v) for v in g.variations],
            }
            for g in job.generations
        ],
    }
