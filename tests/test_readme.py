"""The configuration reference stays true: docs/configuration.md holds the table generated from the Settings
fields, and README.md points at it and stays short."""

from __future__ import annotations

from assistant.settings import PROJECT_ROOT, Settings, markdown_table


def test_configuration_table_matches_the_settings():
    doc = (PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate it: python -m assistant.settings, paste into docs/configuration.md"
    assert all(f"`RTMS_{name.upper()}`" in doc for name in Settings.model_fields)


def test_readme_is_short_and_links_the_configuration():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/configuration.md" in readme
    assert len(readme.splitlines()) <= 250
