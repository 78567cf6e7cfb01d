from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from assistant.corpus.fetch.http import HTTPStatusError, NetworkError, PoliteClient, retry_after_seconds
from assistant.errors import FetchError

from .fakeserver import Reply
from .helpers import FakeClock

OK = Reply(200, '{"ok": true}', {"Content-Type": "application/json"})


def test_429_retry_after_is_honoured(client, server, fake_clock, settings) -> None:
    server.routes["/europepmc/x"] = [Reply(429, "slow down", {"Retry-After": "7"}), OK]
    resp = client.get(settings.europepmc_url + "/x")
    assert resp is not None and resp.json() == {"ok": True}
    assert server.hits["/europepmc/x"] == 2
    assert fake_clock.sleeps == [7.0]  # exactly the server's wish, not the default back-off


def test_retry_after_http_date(client, server, fake_clock, settings) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    server.routes["/crossref/y"] = [Reply(503, "", {"Retry-After": format_datetime(when, usegmt=True)}), OK]
    assert client.get(settings.crossref_url + "/y") is not None
    assert len(fake_clock.sleeps) == 1 and 25 <= fake_clock.sleeps[0] <= 31


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(past) == 0.0


def test_unreasonable_retry_after_gives_up_with_advice(client, server, fake_clock, settings) -> None:
    server.routes["/europepmc/z"] = Reply(429, "", {"Retry-After": "86400"})
    with pytest.raises(HTTPStatusError, match="run again later|again later"):
        client.get(settings.europepmc_url + "/z")
    assert fake_clock.sleeps == []


def test_500_then_success_backs_off(client, server, fake_clock, settings) -> None:
    server.routes["/europepmc/a"] = [Reply(500, "oops"), Reply(502, "oops"), OK]
    assert client.get(settings.europepmc_url + "/a") is not None
    assert server.hits["/europepmc/a"] == 3
    assert fake_clock.sleeps == [1.0, 2.0]  # exponential back-off


def test_500_forever_is_bounded(client, server, fake_clock, settings) -> None:
    server.routes["/europepmc/b"] = Reply(500, "oops")
    with pytest.raises(HTTPStatusError) as info:
        client.get(settings.europepmc_url + "/b")
    assert server.hits["/europepmc/b"] == settings.http_retries + 1
    assert "127.0.0.1" in str(info.value) and "again" in str(info.value)
    assert info.value.status == 500


def test_404_is_none_and_400_is_an_error(client, server, settings) -> None:
    assert client.get(settings.europepmc_url + "/nothing-here") is None
    server.routes["/europepmc/bad"] = Reply(400, "bad request")
    with pytest.raises(HTTPStatusError):
        client.get(settings.europepmc_url + "/bad")
    assert server.hits["/europepmc/bad"] == 1  # a client error is not retried


def test_timeout_then_success(settings, server) -> None:
    fc = FakeClock()
    c = PoliteClient(settings.model_copy(update={"http_timeout_s": 0.3}), sleep=fc.sleep, clock=fc.clock)
    server.routes["/europepmc/slow"] = [Reply(200, "late", delay=1.0), OK]
    assert c.get(settings.europepmc_url + "/slow").json() == {"ok": True}
    assert server.hits["/europepmc/slow"] == 2 and fc.sleeps == [1.0]


def test_timeout_forever_names_host_and_says_what_to_do(settings, server) -> None:
    fc = FakeClock()
    c = PoliteClient(settings.model_copy(update={"http_timeout_s": 0.2, "http_retries": 1}),
                     sleep=fc.sleep, clock=fc.clock)
    server.routes["/europepmc/slow"] = Reply(200, "late", delay=0.8)
    with pytest.raises(NetworkError) as info:
        c.get(settings.europepmc_url + "/slow")
    msg = str(info.value)
    assert server.base.split("//")[1] in msg and "timed out" in msg
    assert "connection" in msg and "corpus sync" in msg
    assert isinstance(info.value, FetchError)


def test_connection_refused(settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fc = FakeClock()
    c = PoliteClient(settings, sleep=fc.sleep, clock=fc.clock, retries=1)
    with pytest.raises(NetworkError, match=f"127.0.0.1:{port}.*could not connect"):
        c.get(f"http://127.0.0.1:{port}/whatever")
    assert fc.sleeps == [1.0]


def test_polite_identity_and_size_cap(client, server, settings) -> None:
    server.routes["/europepmc/big"] = Reply(200, b"x" * 5000)
    with pytest.raises(HTTPStatusError, match="larger than"):
        client.get(settings.europepmc_url + "/big", stream_limit=1000)
    assert "mailto:tester@example.org" in client.session.headers["User-Agent"]


def test_rate_limit_headers_slow_the_host_down(client, server, settings) -> None:
    server.routes["/crossref/h"] = Reply(200, "{}", {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Interval": "1s"})
    client.get(settings.crossref_url + "/h")
    assert client.limiter_for(settings.crossref_url + "/h").rate == 2
