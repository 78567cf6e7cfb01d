"""Text at the API boundary is valid Unicode: no lone surrogates (from undecodable command-line bytes or a
browser), no NUL characters. Invalid sequences become U+FFFD instead of a traceback further down
(SQLite, JSON, tokenizers and Gradio's serialiser all reject surrogates)."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import yaml

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: object) -> str:
    """``text`` as a str that encodes to UTF-8: bytes decoded with replacement, lone surrogates replaced.

    Surrogate escapes of raw bytes (how Python decodes undecodable argv) are first turned back into the
    bytes, so a valid UTF-8 sequence split by the terminal's locale is recovered."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        out = bytes(text).decode("utf-8", "replace")
    else:
        out = str(text)
        if _SURROGATE.search(out):
            with contextlib.suppress(UnicodeEncodeError):
                out = out.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            out = _SURROGATE.sub("\ufffd", out)
    return out.replace("\x00", " ")


MAX_YAML_CHARS = 64_000
"""Front matter and manifests larger than this are refused (an evidence note's is about 1 kB)."""


class _NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no stubs here
    """SafeLoader that refuses aliases (``*name``): a 600-byte "billion laughs" alias bomb expands to
    gigabytes once walked, and no corpus file needs aliases."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"YAML aliases (*{event.anchor}) are not allowed; write the values out",
                event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str, max_chars: int = MAX_YAML_CHARS) -> Any:
    """``yaml.safe_load`` without aliases and for at most ``max_chars`` characters; yaml.YAMLError otherwise."""
    if len(text) > max_chars:
        raise yaml.YAMLError(f"YAML of {len(text):,} characters is longer than the limit of {max_chars:,}")
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def load_json(text: str | bytes) -> Any:
    """``json.loads`` that raises ValueError (not RecursionError) for JSON nested too deeply."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
