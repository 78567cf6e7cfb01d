"""The ``openai`` backend: any OpenAI-compatible ``/v1/chat/completions`` server through the official client.

llama.cpp's server (parallel slots), vLLM, Ollama and OpenAI itself all speak this protocol, so this is how a lab
moves generation off the machine that serves the index. The ``openai`` package handles connection pooling,
timeouts, retries with exponential backoff (connection errors, 408/409/429 and 5xx) and server-sent-event
parsing; this module turns its exceptions into one ``LLMError`` that names the setting to fix.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.errors import LLMError
from assistant.settings import Settings
from assistant.vocab import Backend

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

Message = dict[str, str]
FALLBACK = "or use --backend llama-cpp / extractive."


class OpenAIBackend:
    """Chat completions from an OpenAI-compatible server (``RTMS_OPENAI_*`` settings)."""

    name: str = Backend.OPENAI

    def __init__(self, settings: Settings, retries: int = 2) -> None:
        self.settings = settings
        self.model = settings.openai_model
        self.base_url = settings.openai_base_url.rstrip("/")
        self.retries = retries
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> openai.OpenAI:
        """One client per backend (thread-safe; its connection pool is shared by concurrent requests)."""
        with self._client_lock:
            if self._client is None:
                import openai

                t = self.settings.openai_timeout_s
                self._client = openai.OpenAI(base_url=self.base_url, api_key=self.settings.openai_api_key or "none",
                                             timeout=openai.Timeout(t, connect=min(5.0, t)),
                                             max_retries=self.retries)
            return self._client

    # --- requests ------------------------------------------------------------------------------
    def _request(self, messages: list[Message], stream: bool, max_tokens: int | None) -> Any:
        import openai

        try:
            return self.client.chat.completions.create(
                model=self.model, messages=messages, stream=stream,  # type: ignore[arg-type]
                max_tokens=max_tokens or self.settings.llm_max_tokens, temperature=self.settings.llm_temperature)
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc

    def generate(self, messages: list[Message], stream: bool = False,
                 max_tokens: int | None = None) -> str | Iterator[str]:
        if stream:
            return self._stream(messages, max_tokens)
        out = self._request(messages, False, max_tokens)
        try:
            return str(out.choices[0].message.content or "")
        except (AttributeError, IndexError, TypeError) as exc:
            raise self._unreadable(f"unreadable response: {type(exc).__name__}") from exc

    def _stream(self, messages: list[Message], max_tokens: int | None) -> Iterator[str]:
        """Text deltas. The request (with its retries) happens on the first ``next``; a stream that breaks after
        text was handed out is not retried (that would repeat the text)."""
        import httpx
        import openai

        chunks = self._request(messages, True, max_tokens)
        events = 0
        try:
            for chunk in chunks:
                events += 1
                choices = getattr(chunk, "choices", None)
                if choices is None:
                    raise TypeError(f"a stream event without choices ({type(chunk).__name__})")
                if choices and (delta := choices[0].delta) is not None and delta.content:
                    yield delta.content
            if not events:  # a chat stream always has events; none means the body was not server-sent events
                ctype = getattr(getattr(chunks, "response", None), "headers", {}).get("content-type", "?")
                raise ValueError(f"no events in a {ctype} body")
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._unreadable(f"stream broke: {type(exc).__name__}: {exc}") from exc
        except (AttributeError, IndexError, TypeError, ValueError) as exc:
            raise self._unreadable(f"unreadable stream: {type(exc).__name__}: {exc}") from exc
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    # --- errors --------------------------------------------------------------------------------
    def _unreadable(self, reason: str) -> LLMError:
        return LLMError(f"the OpenAI-compatible server at {self.base_url} sent something that is not a chat "
                        f"completion ({reason}). Check that RTMS_OPENAI_BASE_URL points at its /v1 URL, {FALLBACK}")

    def _error(self, exc: Exception) -> LLMError:
        """An LLMError that says what went wrong and which setting fixes it."""
        import openai

        where = f"the OpenAI-compatible server at {self.base_url}"
        attempts = f"after {self.retries + 1} attempts"
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"{where} gave no answer within {self.settings.openai_timeout_s:g} s ({attempts}). "
                            f"Raise RTMS_OPENAI_TIMEOUT_S if the model is slow, {FALLBACK}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"cannot connect to {where} ({attempts}). Start the server or set "
                            f"RTMS_OPENAI_BASE_URL to its /v1 URL, {FALLBACK}")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(f"{where} refused the API key (HTTP {exc.status_code}): set RTMS_OPENAI_API_KEY "
                            f"to a key it accepts.")
        if isinstance(exc, openai.NotFoundError | openai.BadRequestError) and (served := self._unknown_model()):
            return LLMError(f"{where} does not serve the model {self.model!r}; it serves {', '.join(served)}. "
                            f"Set RTMS_OPENAI_MODEL to one of them.")
        if isinstance(exc, openai.NotFoundError):
            return LLMError(f"{where} answered 404 for /chat/completions: check that RTMS_OPENAI_BASE_URL ends in "
                            f"/v1 and that RTMS_OPENAI_MODEL ({self.model!r}) is a model it serves.")
        if isinstance(exc, openai.APIStatusError):
            detail = _server_message(exc)
            retried = attempts if exc.status_code in (408, 409, 429) or exc.status_code >= 500 else "no retry"
            return LLMError(f"{where} failed with HTTP {exc.status_code}{': ' + detail if detail else ''} "
                            f"({retried}). Check the server's log, {FALLBACK}")
        if isinstance(exc, openai.APIResponseValidationError):
            return self._unreadable(f"unreadable response: {exc}")
        return LLMError(f"{where} failed ({type(exc).__name__}: {exc}), {FALLBACK}")

    def _unknown_model(self) -> list[str]:
        """The served model ids when the configured model is not among them ([] when it is, or unknown)."""
        import openai

        try:
            served = [m.id for m in self.client.with_options(max_retries=0).models.list()]
        except (openai.OpenAIError, AttributeError, TypeError):
            return []
        return served if served and self.model not in served else []


def _server_message(exc: Any) -> str:
    """The server's own error message (the client unwraps ``{"error": {...}}`` into ``exc.body``)."""
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    return str(msg)[:200] if msg else ""
