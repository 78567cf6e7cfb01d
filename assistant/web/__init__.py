"""Gradio web UI: `app` (Blocks and callbacks), `session` (per-browser state), `history` (message
normalisation), `render` (answer and source HTML), `export` (Markdown), `tables` (Corpus/Evidence tabs)."""
