"""The PiktID Image Playground API (v2) rules as data: validate requests before you spend credits.

Pure Python and no I/O; ``piktid_spec.strategies`` (hypothesis) is imported only on demand.
"""

from piktid_spec._provenance import Provenance, quoted_in
from piktid_spec.catalogue import CATALOGUE, ErrorSpec, error_body
from piktid_spec.credits import CREDITS_PER_IMAGE, credits_for
from piktid_spec.limits import LIMITS, Limit
from piktid_spec.openapi import openapi
from piktid_spec.params import (
    ASPECT_RATIOS,
    DEFAULT_ENGINE,
    EDIT_CHAT,
    ENGINES,
    MODELS,
    OUTPUT_MODES,
    SIZES,
    Endpoint,
    Param,
)
from piktid_spec.plans import OUTPUT_CUSTOM_DIMENSIONS, PLANS, Account, Plan
from piktid_spec.request import EditChatRequest
from piktid_spec.shapes import SHAPES
from piktid_spec.sizing import SIZE_BASE, output_size, thumbnail_size
from piktid_spec.validate import Violation, rejection, validate_edit_chat

__all__ = [
    "ASPECT_RATIOS",
    "CATALOGUE",
    "CREDITS_PER_IMAGE",
    "DEFAULT_ENGINE",
    "EDIT_CHAT",
    "ENGINES",
    "LIMITS",
    "MODELS",
    "OUTPUT_CUSTOM_DIMENSIONS",
    "OUTPUT_MODES",
    "PLANS",
    "SHAPES",
    "SIZES",
    "SIZE_BASE",
    "Account",
    "EditChatRequest",
    "Endpoint",
    "ErrorSpec",
    "Limit",
    "Param",
    "Plan",
    "Provenance",
    "Violation",
    "credits_for",
    "error_body",
    "openapi",
    "output_size",
    "quoted_in",
    "rejection",
    "thumbnail_size",
    "validate_edit_chat",
]
