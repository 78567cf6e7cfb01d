"""One exception family. Every message says what the user should do next."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting is missing or invalid."""


class ReaderError(AssistantError):
    """A file could not be read into a Document (corrupt, encrypted, empty, unknown type)."""


class IndexMissingError(AssistantError):
    """No index has been built yet."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with other settings than the current ones."""


class EmptyIndexError(AssistantError):
    """The index holds no chunks."""


class ModelError(AssistantError):
    """A model file or package is missing or corrupt."""


class LLMError(AssistantError):
    """The language-model backend failed (server down, timeout, bad output)."""


class QuestionError(AssistantError):
    """The question is empty or too long."""


class FetchError(AssistantError):
    """A literature API request failed for good (after retries)."""


class CorpusError(AssistantError):
    """The corpus manifest, an evidence note or an added file is invalid."""


class IndexBusyError(AssistantError):
    """Another `index build` holds the index folder's lock."""


class IndexDamagedError(AssistantError):
    """A file of the current index version is missing or does not match its recorded checksum."""


class IndexWriteError(AssistantError):
    """The index folder cannot be written (disk full, read-only, no permission); the previous version is kept."""
