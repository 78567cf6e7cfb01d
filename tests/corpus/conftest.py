"""Fixtures for the fetcher tests: a fake literature-API server, settings pointing at it, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.corpus.fetch.http import PoliteClient
from assistant.settings import Settings

from .fetch.fakeserver import FakeServer
from .fetch.helpers import FakeClock, install_apis


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def settings(tmp_path: Path, server: FakeServer) -> Settings:
    b = server.base
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", home=tmp_path / "home",
                    europepmc_url=f"{b}/europepmc", eutils_url=f"{b}/eutils", idconv_url=f"{b}/idconv/",
                    crossref_url=f"{b}/crossref", unpaywall_url=f"{b}/unpaywall",
                    contact_email="tester@example.org", ncbi_api_key="", http_timeout_s=2.0, http_retries=2,
                    fetch_pdfs=False, max_pdf_mb=5.0)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(settings: Settings, fake_clock: FakeClock) -> PoliteClient:
    return PoliteClient(settings, sleep=fake_clock.sleep, clock=fake_clock.clock)


@pytest.fixture
def apis(server: FakeServer) -> FakeServer:
    install_apis(server)
    return server
