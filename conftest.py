"""This repository's tests run the kit's ``fast`` hypothesis profile unless ``--hypothesis-profile`` says otherwise."""

from hypothesis import settings

import contract_tests.profiles  # noqa: F401 - imported for its side effect: registers "fast" and "thorough"

settings.load_profile("fast")
