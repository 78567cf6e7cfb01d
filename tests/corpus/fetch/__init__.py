"""Tests of the literature fetcher, assistant/corpus/fetch/, against a local fake API server."""
