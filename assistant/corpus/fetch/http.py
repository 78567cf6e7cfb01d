"""Polite HTTP client for the literature APIs: contact address, per-service rate limits, bounded
retries with back-off on 429/5xx/timeouts, and ``Retry-After`` honoured.

The retry loop is our own (not urllib3's ``Retry``) so that every wait goes through one injectable
``sleep`` and can be asserted in tests.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from assistant import __version__
from assistant.corpus.fetch.ratelimit import Clock, RateLimiter, Sleep
from assistant.errors import FetchError
from assistant.settings import Settings

log = logging.getLogger(__name__)

NCBI_RATE = 3            # requests/s without an API key (NLM policy)
NCBI_RATE_WITH_KEY = 10  # with a key
DEFAULT_RATE = 5         # other hosts publish no hard number; stay well below any plausible limit
MAX_RETRY_AFTER_S = 300.0
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class NetworkError(FetchError):
    """A host could not be reached (connection refused, DNS, timeouts) after all retries."""


class HTTPStatusError(FetchError):
    """A host kept answering with an error status."""

    def __init__(self, message: str, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


@dataclass
class Response:
    url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content)


def host_of(url: str) -> str:
    return urlsplit(url).netloc


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date); None when absent or unparseable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _again(host: str) -> str:
    return (f"Check the internet connection (and that {host} is reachable), then run "
            "`rtms-assistant corpus sync` again: it resumes where it stopped.")


class PoliteClient:
    """GET with rate limiting and retries. ``sleep``/``clock`` are injectable for tests."""

    def __init__(self, settings: Settings, *, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                 session: requests.Session | None = None, retries: int | None = None,
                 timeout_s: float | None = None) -> None:
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self.retries = settings.http_retries if retries is None else retries
        self.timeout_s = timeout_s or settings.http_timeout_s
        self.session = session or requests.Session()
        agent = f"rtms-assistant/{__version__}"
        if settings.contact_email:
            agent += f" (mailto:{settings.contact_email})"
        self.session.headers["User-Agent"] = agent
        ncbi_rate = NCBI_RATE_WITH_KEY if settings.ncbi_api_key else NCBI_RATE
        self._ncbi = RateLimiter(ncbi_rate, clock=clock, sleep=sleep)
        self._ncbi_prefixes = (settings.eutils_url.rstrip("/"), settings.idconv_url.rstrip("/"))
        self._limiters: dict[str, RateLimiter] = {}
        self.requests_made = 0

    def limiter_for(self, url: str) -> RateLimiter:
        """NCBI's services share one limiter (the limit is per user); other hosts get one each."""
        if url.startswith(self._ncbi_prefixes):
            return self._ncbi
        host = host_of(url)
        if host not in self._limiters:
            self._limiters[host] = RateLimiter(DEFAULT_RATE, clock=self.clock, sleep=self.sleep)
        return self._limiters[host]

    def get(self, url: str, params: dict[str, Any] | None = None, *, ok: tuple[int, ...] = (200,),
            missing: tuple[int, ...] = (404,), stream_limit: int | None = None) -> Response | None:
        """Return the response for a status in ``ok``; None for a status in ``missing``.

        Retries 429/5xx/timeouts/connection errors up to ``retries`` times; raises
        :class:`NetworkError` or :class:`HTTPStatusError` (both FetchError) when they run out.
        ``stream_limit`` caps the body size in bytes (larger bodies raise HTTPStatusError).
        """
        host = host_of(url)
        limiter = self.limiter_for(url)
        attempt = 0
        while True:
            limiter.acquire()
            self.requests_made += 1
            try:
                resp = self._send(url, params, stream_limit)
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                if attempt >= self.retries:
                    raise NetworkError(f"{host}: request {kind} after {attempt + 1} attempt(s) ({url}). "
                                       + _again(host)) from None
                wait = self._backoff(attempt)
                log.info("%s: %s; retrying in %.1f s", host, kind, wait)
            else:
                if resp.status in ok:
                    self._adapt_rate(limiter, resp.headers)
                    return resp
                if resp.status in missing:
                    return None
                if resp.status not in RETRY_STATUSES:
                    raise HTTPStatusError(f"{host} answered HTTP {resp.status} for {url}.", resp.status, url)
                if attempt >= self.retries:
                    raise HTTPStatusError(f"{host} kept answering HTTP {resp.status} after {attempt + 1} "
                                          f"attempt(s) ({url}). " + _again(host), resp.status, url)
                wait = self._backoff(attempt)
                asked = retry_after_seconds(resp.headers.get("retry-after"))
                if asked is not None:
                    if asked > MAX_RETRY_AFTER_S:
                        raise HTTPStatusError(f"{host} asks to wait {asked:.0f} s before retrying. "
                                              "Run `rtms-assistant corpus sync` again later.", resp.status, url)
                    wait = asked
                log.info("%s: HTTP %s; retrying in %.1f s", host, resp.status, wait)
            self.sleep(wait)
            attempt += 1

    def _send(self, url: str, params: dict[str, Any] | None, stream_limit: int | None) -> Response:
        with self.session.get(url, params=params, timeout=self.timeout_s, stream=True) as r:
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_content(64 * 1024):
                size += len(chunk)
                if stream_limit is not None and size > stream_limit:
                    raise HTTPStatusError(f"{host_of(url)}: response larger than {stream_limit} bytes ({url}).",
                                          r.status_code, url)
                chunks.append(chunk)
            headers = {k.lower(): v for k, v in r.headers.items()}
            return Response(r.url, r.status_code, b"".join(chunks), headers)

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_MAX_S, BACKOFF_BASE_S * (2.0 ** attempt))

    @staticmethod
    def _adapt_rate(limiter: RateLimiter, headers: dict[str, str]) -> None:
        """Follow Crossref-style ``x-rate-limit-limit``/``x-rate-limit-interval`` headers (only slowing down)."""
        limit, interval = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval")
        if not (limit and interval):
            return
        try:
            n = int(limit)
            secs = float(interval.rstrip("s"))
        except ValueError:
            return
        if n > 0 and secs > 0 and n / secs < limiter.rate / limiter.period:
            limiter.set_rate(n, secs)
