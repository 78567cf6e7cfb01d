"""README.md stays true: its configuration table is the one generated from the Settings fields."""

from __future__ import annotations

from assistant.settings import PROJECT_ROOT, Settings, markdown_table


def test_readme_configuration_table_matches_the_settings():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "regenerate it: python -m assistant.settings (then paste into README.md)"
    assert all(f"`RTMS_{name.upper()}`" in readme for name in Settings.model_fields)
