"""rtms-assistant: citation-grounded question answering over the rTMS neuropathic-pain literature."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
__version__ = "0.1.0"  # set before the imports below: submodules read it (the fetcher's User-Agent)

from assistant.api import Assistant  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.settings import Settings  # noqa: E402

__all__ = ["Assistant", "AssistantError", "Settings"]
