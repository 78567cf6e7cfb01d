from __future__ import annotations

import pytest

from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.fetch.ratelimit import RateLimiter

from .helpers import FakeClock


def max_in_window(times: list[float], period: float = 1.0) -> int:
    """Largest number of timestamps in any half-open window [t, t + period)."""
    return max(sum(1 for u in times if t <= u < t + period) for t in times)


@pytest.mark.parametrize("rate", [1, 3, 10])
def test_never_more_than_rate_in_any_second(rate: int) -> None:
    fc = FakeClock()
    lim = RateLimiter(rate, clock=fc.clock, sleep=fc.sleep)
    stamps = []
    n = 4 * rate + 3
    for _ in range(n):
        lim.acquire()
        stamps.append(fc.now)
        fc.now += 0.05  # the request itself takes a little time
    assert max_in_window(stamps) == rate
    # and it waits no more than needed: n calls fit in (n - 1) // rate seconds plus the request times
    assert stamps[-1] - stamps[0] < (n - 1) // rate + 0.5


def test_first_calls_do_not_wait() -> None:
    fc = FakeClock()
    lim = RateLimiter(3, clock=fc.clock, sleep=fc.sleep)
    assert [lim.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert lim.acquire() == pytest.approx(1.0)
    assert fc.sleeps == [pytest.approx(1.0)]


def test_ncbi_limit_depends_on_api_key(settings) -> None:
    fc = FakeClock()
    plain = PoliteClient(settings, sleep=fc.sleep, clock=fc.clock)
    keyed = PoliteClient(settings.model_copy(update={"ncbi_api_key": "k"}), sleep=fc.sleep, clock=fc.clock)
    efetch = settings.eutils_url + "/efetch.fcgi"
    assert plain.limiter_for(efetch).rate == 3
    assert keyed.limiter_for(efetch).rate == 10
    # E-utilities and the ID converter share NCBI's one budget; Europe PMC has its own
    assert plain.limiter_for(settings.idconv_url) is plain.limiter_for(efetch)
    assert plain.limiter_for(settings.europepmc_url + "/x") is not plain.limiter_for(efetch)


def test_client_spaces_ncbi_requests(client, apis, fake_clock, settings) -> None:
    url = settings.eutils_url + "/esearch.fcgi"
    stamps = []
    for _ in range(7):
        client.get(url, {"term": "x"})
        stamps.append(fake_clock.now)
    assert max_in_window(stamps) <= 3
    assert apis.hits["/eutils/esearch.fcgi"] == 7
