"""Bring your own library: reference-manager exports (RIS, BibTeX, Zotero "Export Files") and PubMed searches."""
