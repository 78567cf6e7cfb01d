"""The corpus tests' fake literature-API server and settings, for `corpus …` commands."""

from tests.corpus.conftest import apis, client, fake_clock, server, settings  # noqa: F401 - shared with tests/corpus
