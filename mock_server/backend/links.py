"""Every signed URL the mock hands out, built and parsed here and nowhere else.

Three kinds: the pre-signed upload PUT (S3-style query: date, lifetime, HMAC over the file id,
Content-Type, date and lifetime), the upload's download link and an output's download link
(``.../{id}/{name}-{token}.png``, the token an HMAC over the path parts). A parse answers None
(a 404 or a 403, as the caller decides) for anything it did not sign.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from mock_server.backend.numbers import ascii_int
from mock_server.backend.signing import Signer, amz_date, parse_amz_date

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
VARIANTS = ("full", "thumb")


@dataclass(frozen=True, slots=True)
class OutputName:
    """What an output link names: a variation of a generation, full size or thumbnail."""

    image_index: int
    group_index: int
    variant: str


OUTPUT_LINKS_KEPT = 4096
"""Output links remembered once signed: a variation's two links are made when it completes and again
on every results poll of its job; the oldest is forgotten first, so it costs ~1 MB at most."""


class Links:
    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self._outputs: OrderedDict[tuple[str, str, int, int, str], str] = OrderedDict()
        """Output links already signed (they are a pure function of their parts and this signer). Ordered,
        because forgetting the oldest of a plain dict (``next(iter(d))``) walks past every slot deleted at
        its front: ~1.5 us a link once it is full, against O(1) for ``popitem(last=False)``."""

    def upload_url(self, base_url: str, file_id: str, content_type: str, now: float, ttl: float) -> str:
        date, expires = amz_date(now), str(int(ttl))
        signature = self.signer.sign("PUT", file_id, content_type, date, expires)
        query = urlencode(
            {
                "X-Amz-Date": date,
                "X-Amz-Expires": expires,
                "X-Amz-SignedHeaders": "content-type",
                "X-Amz-Signature": signature,
            }
        )
        return f"{base_url}/storage/uploads/{file_id}?{query}"

    def upload_signed(self, file_id: str, query: Mapping[str, str], content_type: str | None) -> bool:
        """The PUT's query is the one signed for this file and Content-Type."""
        date, expires = query.get("X-Amz-Date", ""), query.get("X-Amz-Expires", "")
        return self.signer.check(query.get("X-Amz-Signature", ""), "PUT", file_id, content_type or "", date, expires)

    @staticmethod
    def upload_deadline(query: Mapping[str, str]) -> float | None:
        """When a signed PUT URL expires (None: its date or lifetime is unreadable)."""
        signed_at, lifetime = parse_amz_date(query.get("X-Amz-Date", "")), ascii_int(query.get("X-Amz-Expires", ""))
        return None if signed_at is None or lifetime is None else signed_at + lifetime

    def download_url(self, base_url: str, file_id: str, content_type: str) -> str:
        signature = self.signer.token("GET", "uploads", file_id)
        return f"{base_url}/storage/files/uploads/{file_id}/{signature}{EXTENSIONS[content_type]}"

    def download_signed(self, file_id: str, name: str) -> bool:
        return self.signer.check_token(name.rsplit(".", 1)[0], "GET", "uploads", file_id)

    def output_link(self, base_url: str, job_id: str, image_index: int, group_index: int, variant: str) -> str:
        """The signed download link of a variation's output; signed once, then remembered (hot path:
        completions and every results read make them)."""
        key = (base_url, job_id, image_index, group_index, variant)
        link = self._outputs.get(key)
        if link is None:
            name = f"{image_index}-{group_index}-{variant}"
            token = self.signer.sign_text(f"GET\noutputs\n{job_id}\n{name}")[:32]  # = signer.token(...)
            link = f"{base_url}/storage/files/outputs/{job_id}/{name}-{token}.png"
            if len(self._outputs) >= OUTPUT_LINKS_KEPT:
                self._outputs.popitem(last=False)
            self._outputs[key] = link
        return link

    def parse_output(self, job_id: str, name: str) -> OutputName | None:
        """The variation an output link's last path segment names, if this mock signed it."""
        parts = name.removesuffix(".png").split("-")
        indexes = [ascii_int(p, 4) for p in parts[:2]]
        if len(parts) != 4 or None in indexes:
            return None
        if not self.signer.check_token(parts[3], "GET", "outputs", job_id, "-".join(parts[:3])):
            return None
        return OutputName(indexes[0] or 0, indexes[1] or 0, parts[2])
