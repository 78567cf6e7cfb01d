"""Chat-history normalisation, in one place.

Gradio 6 chat messages are ``{"role", "content", ...}`` dicts (or ``ChatMessage``/``Message`` objects) whose
content is a string, a single content block, or a list of blocks such as ``{"type": "text", "text": ...}``,
``{"type": "file", "file": {...}}`` or component payloads. The answer engine wants plain
``{"role": "user"|"assistant", "content": str}`` turns; everything here converts to that shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

ROLES = ("user", "assistant")

# [1], [1, 2], [1-3], [1][2] (each bracket is matched on its own)
MARKER_RE = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACE_RE = re.compile(r"[ \t]+")


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def block_text(block: Any) -> str:
    """Text of one content block (str, text block, file block, component block); '' if it has none."""
    if block is None:
        return ""
    if isinstance(block, str):
        return block
    if isinstance(block, int | float) and not isinstance(block, bool):
        return str(block)
    kind = _field(block, "type")
    text = _field(block, "text")
    if isinstance(text, str) and kind in (None, "text"):
        return text
    if kind == "file" or _field(block, "file") is not None or _field(block, "path") is not None:
        f = _field(block, "file", block)
        name = _field(f, "orig_name") or _field(f, "path") or "file"
        return f"[file: {str(name).rsplit('/', 1)[-1]}]"
    if kind == "component":
        value = _field(block, "value")
        return value if isinstance(value, str) else ""
    return ""


def content_text(content: Any) -> str:
    """Plain text of a message's content, whatever shape Gradio gave it."""
    if isinstance(content, list | tuple):
        parts = [block_text(b).strip() for b in content]
        return "\n".join(p for p in parts if p)
    return block_text(content).strip()


def strip_html(text: str) -> str:
    """Drop tags (our rendered answers are HTML) and collapse the spaces that leaves."""
    return _SPACE_RE.sub(" ", _TAG_RE.sub("", text)).strip()


def strip_markers(text: str) -> str:
    """Remove ``[n]`` citation markers: their numbers refer to an earlier turn's passages."""
    out = MARKER_RE.sub("", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return _SPACE_RE.sub(" ", out).strip()


def normalise_messages(messages: Iterable[Any] | None) -> list[dict[str, str]]:
    """Gradio messages (any content shape) → ``[{"role", "content": str}]``.

    System messages, "thought" messages (those with a metadata title) and empty messages are dropped;
    consecutive messages of the same role are merged, as Gradio may split one turn into several bubbles.
    """
    out: list[dict[str, str]] = []
    for m in messages or []:
        role = _field(m, "role")
        if role not in ROLES:
            continue
        meta = _field(m, "metadata") or {}
        if _field(meta, "title"):
            continue
        text = content_text(_field(m, "content"))
        if not text:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": role, "content": text})
    return out


def api_history(messages: Iterable[Any] | None, max_turns: int = 6) -> list[dict[str, Any]]:
    """History to hand to ``Assistant.stream``: normalised, HTML and markers stripped, last ``max_turns``
    question/answer pairs, starting with a user message."""
    messages = list(messages or [])
    clean: list[dict[str, Any]] = [{"role": m["role"], "content": strip_markers(strip_html(m["content"]))}
                                   for m in normalise_messages(messages)]
    papers = [_field(m, "paper_ids") for m in messages if _field(m, "role") == "assistant"]
    answers = [m for m in clean if m["role"] == "assistant"]
    if len(papers) == len(answers):  # the papers each answer cited: candidates for "that study" next turn
        for m, ids in zip(answers, papers, strict=True):
            if ids:
                m["paper_ids"] = list(ids)
    clean = [m for m in clean if m["content"]]
    clean = clean[-2 * max_turns:] if max_turns > 0 else []
    while clean and clean[0]["role"] != "user":
        clean.pop(0)
    return clean
