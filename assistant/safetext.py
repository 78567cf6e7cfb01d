"""Text at the API boundary is valid Unicode: no lone surrogates (from undecodable command-line bytes or a
browser), no NUL characters. Invalid sequences become U+FFFD instead of a traceback further down
(SQLite, JSON, tokenizers and Gradio's serialiser all reject surrogates)."""

from __future__ import annotations

import contextlib
import re

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
