"""Per-browser-session chat state: the conversation's turns and the session's settings.

One ``ChatSession`` lives in a ``gr.State`` per browser tab (Gradio deep-copies the initial value for
each session), so two users never see each other's turns or settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.web.history import api_history

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer, Evidence


@dataclass
class Turn:
    """One question and what came back: the evidence (shown first), then an Answer, an error message, or a
    stopped partial answer."""

    question: str
    backend: str = ""
    evidence: Evidence | None = None
    partial: str = ""
    answer: Answer | None = None
    error: str | None = None
    stopped: bool = False

    @property
    def pending(self) -> bool:
        return self.answer is None and self.error is None and not self.stopped

    @property
    def reply_text(self) -> str:
        """The assistant's words for this turn as plain text ('' when there are none)."""
        if self.answer is not None:
            return self.answer.answer
        return self.partial if self.stopped else ""


@dataclass
class ChatSession:
    backend: str
    k: int
    turns: list[Turn] = field(default_factory=list)
    sid: str = field(default="", metadata={"doc": "per-session folder name for downloads, set on first use"})

    def start(self, question: str) -> Turn:
        turn = Turn(question=question, backend=self.backend)
        self.turns.append(turn)
        return turn

    def clear(self) -> None:
        self.turns.clear()

    def messages(self) -> list[dict[str, Any]]:
        """Plain user/assistant messages of the finished turns (errors and pending turns left out)."""
        out: list[dict[str, Any]] = []
        for t in self.turns:
            if t.pending or t.error is not None or not t.reply_text:
                continue
            reply: dict[str, Any] = {"role": "assistant", "content": t.reply_text}
            if t.answer is not None and t.answer.citations:
                reply["paper_ids"] = list(dict.fromkeys(c.passage.chunk.paper_id for c in t.answer.citations))
            out += [{"role": "user", "content": t.question}, reply]
        return out

    def history(self, max_turns: int = 6) -> list[dict[str, Any]]:
        """What ``Assistant.stream`` gets as ``history`` for the next question."""
        return api_history(self.messages(), max_turns=max_turns)

    def stop(self) -> bool:
        """Mark the running turn as stopped (keeping what was streamed); False if nothing was running."""
        if self.turns and self.turns[-1].pending:
            self.turns[-1].stopped = True
            return True
        return False

    @property
    def has_answers(self) -> bool:
        return any(t.answer is not None or (t.stopped and (t.partial or t.evidence is not None))
                   for t in self.turns)
