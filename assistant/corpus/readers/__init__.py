"""Document readers: PDF, JATS XML, PubMed XML, Markdown/text -> ``assistant.corpus.contracts.Document``.

``read_document(path)`` picks the reader; ``read_documents(path)`` also returns every article of a
multi-record PubMed / PMC set; ``iter_corpus_files(root)`` lists what to read. Every failure is a
``ReaderError`` whose message is '<file>: <reason> — <what to do>'.
"""

from __future__ import annotations

from assistant.corpus.readers.dispatch import SUPPORTED_SUFFIXES, iter_corpus_files, read_document, read_documents
from assistant.corpus.readers.jats import read_jats, read_jats_all
from assistant.corpus.readers.markdown import read_markdown
from assistant.corpus.readers.pdf import read_pdf
from assistant.corpus.readers.pubmed import read_pubmed, read_pubmed_all
from assistant.errors import ReaderError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ReaderError",
    "iter_corpus_files",
    "read_document",
    "read_documents",
    "read_jats",
    "read_jats_all",
    "read_markdown",
    "read_pdf",
    "read_pubmed",
    "read_pubmed_all",
]
