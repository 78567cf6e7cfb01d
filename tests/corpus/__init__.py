"""Tests of assistant/corpus/ (readers, manifest, `corpus add`, evidence notes; the fetcher in fetch/)."""
