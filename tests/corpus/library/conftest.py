from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.conftest import write_small_corpus


@pytest.fixture
def lib_settings(tmp_path: Path) -> Settings:
    """The small invented corpus (four evidence notes), an index folder, the extractive backend, offline."""
    corpus = write_small_corpus(tmp_path / "c")
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", home=tmp_path / "home", backend="extractive",
                    contact_email="tester@example.org", ncbi_api_key="", http_retries=0, http_timeout_s=2.0)
