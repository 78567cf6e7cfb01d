"""The corpus tests' fake literature-API server and settings, shared with the reliability probes."""

from tests.corpus.conftest import apis, client, fake_clock, server, settings  # noqa: F401 - shared with tests/corpus
