"""The Gradio 6 web app: Chat, Corpus and Evidence tabs over one shared ``Assistant``.

Per-browser-session state (conversation, backend, passages per answer) lives in a ``gr.State``; the
``Assistant`` (index, embedder, models) is shared. Answer generation goes through one queue slot
(``concurrency_id="generate"``, limit ``RTMS_WEB_CONCURRENCY``, default 1), so two users never drive the in-process
LLM at once; with an OpenAI-compatible server, raise it to the server's parallel slots.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.answer.contracts import Answer, Evidence  # noqa: E402
from assistant.api import Assistant  # noqa: E402
from assistant.corpus.evidence import conflict_rows  # noqa: E402
from assistant.errors import AssistantError, LLMError, ModelError  # noqa: E402
from assistant.safetext import valid_unicode  # noqa: E402
from assistant.settings import Settings, field_bounds  # noqa: E402
from assistant.vocab import Backend  # noqa: E402
from assistant.web import render, tables  # noqa: E402
from assistant.web.assets import CITE_JS, CSS  # noqa: E402
from assistant.web.export import conversation_markdown, write_export, write_references  # noqa: E402
from assistant.web.session import ChatSession, Turn  # noqa: E402

log = logging.getLogger(__name__)

BACKENDS = [str(b) for b in (Backend.EXTRACTIVE, Backend.LLAMA_CPP, Backend.OPENAI)]  # the dropdown's order
K_MIN, K_MAX = field_bounds("top_k")  # the slider's range is the setting's
ANY = "(any)"
EXAMPLES = [
    "Which glial markers does rTMS reduce?",
    "How does rTMS change TNF-α and IL-1β in the spinal cord of neuropathic pain models?",
    "Which stimulation frequencies were used over M1 in the clinical trials?",
    "Does rTMS affect BDNF, and in which direction?",
]
MAX_UPLOAD = "1kb"
"""Largest body Gradio's /upload route accepts (the app uploads nothing; Gradio has no switch to turn it off)."""
STREAM_INTERVAL_S = 0.04  # at most ~25 chat updates per second while streaming
REFERENCE_FORMATS = ("ris", "bibtex", "csl-json")  # the download buttons beside the Markdown export
EMPTY_QUESTION = "Type a question first, for example: Which glial markers does rTMS reduce?"


def _error_text(exc: BaseException) -> str:
    """A readable message for the chat; unexpected errors are logged with their traceback, never shown."""
    if isinstance(exc, AssistantError):
        msg = str(exc) or type(exc).__name__
        msg = msg[0].upper() + msg[1:]
        if isinstance(exc, LLMError | ModelError):
            msg += " In this app you can also pick another backend under “Settings for this browser session”."
        return msg
    log.exception("unexpected error while answering")
    return (f"Something went wrong while answering ({type(exc).__name__}: {exc}). "
            "The details are in the server log; try again, or switch the backend under Settings.")


def take_item(turn: Turn, item: object) -> bool:
    """Record one item of ``Assistant.stream`` in ``turn``; True when it must be shown at once (the evidence and
    the model's first text; later text is shown at most every STREAM_INTERVAL_S).

    The stream yields an Evidence item first (none in closed-book mode), then text deltas, then the Answer."""
    if isinstance(item, Answer):
        turn.answer = item
    elif isinstance(item, Evidence):
        turn.evidence = item
        return True
    elif isinstance(item, str):
        first = not turn.partial.strip()
        turn.partial += item
        return first and bool(item.strip())
    else:
        log.warning("ignored an unexpected stream item of type %s", type(item).__name__)
    return False


class WebApp:
    """Callbacks of the app, bound to one shared Assistant and a folder for downloads."""

    def __init__(self, assistant: Assistant, download_dir: Path | None = None) -> None:
        self.assistant = assistant
        self.settings: Settings = assistant.settings
        if download_dir is None:  # exports and CSVs of this server run; removed when the process exits
            download_dir = Path(tempfile.mkdtemp(prefix="rtms-web-"))
            atexit.register(shutil.rmtree, download_dir, ignore_errors=True)
        self.download_dir = Path(download_dir)

    # --- helpers -------------------------------------------------------------------------------
    def new_session(self) -> ChatSession:
        return ChatSession(backend=str(self.settings.backend), k=self.settings.top_k)

    def _session_dir(self, session: ChatSession) -> Path:
        if not session.sid:  # set lazily: gr.State deep-copies the initial value, so it must not carry one
            session.sid = uuid.uuid4().hex[:12]
        return self.download_dir / session.sid

    def _export(self, session: ChatSession) -> Any:
        if not session.has_answers:
            return gr.DownloadButton(value=None, interactive=False)
        path = write_export(conversation_markdown(session.turns), self._session_dir(session))
        return gr.DownloadButton(value=str(path), interactive=True)

    def reference_exports(self, session: ChatSession) -> tuple[Any, ...]:
        """The three reference downloads (RIS, BibTeX, CSL-JSON) of the papers the conversation cites."""
        out = []
        for fmt in REFERENCE_FORMATS:
            path = write_references(session.turns, fmt, self._session_dir(session)) if session.has_answers else None
            out.append(gr.DownloadButton(value=str(path) if path else None, interactive=path is not None))
        return tuple(out)

    def status_line(self, session: ChatSession) -> str:
        model = render.model_label(session.backend, self.settings)
        last = next((t.answer for t in reversed(session.turns) if t.answer is not None), None)
        if last is not None and last.model and last.backend == session.backend:
            model = last.model
        try:
            pending = self.assistant.llm_unavailable(session.backend)  # tries the model again first
        except Exception:  # the status line must never break the page; a question shows what is wrong
            pending = None
        try:
            st = self.assistant.status()
        except AssistantError as exc:
            return render.status_html(None, session.backend, model, error=str(exc), llm_unavailable=pending)
        except Exception as exc:  # status must never break the page
            log.exception("index status failed")
            return render.status_html(None, session.backend, model, error=f"status unavailable ({exc})",
                                      llm_unavailable=pending)
        return render.status_html(st, session.backend, model, llm_unavailable=pending)

    # --- chat ----------------------------------------------------------------------------------
    def respond(self, question: str, session: ChatSession) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat. Yields (chat, sources, export, status, session, question box)."""
        q = valid_unicode(question).strip()  # a lone surrogate from the browser must not break the tab
        session.stop()  # a turn left running (its event cancelled or lost) ends here as stopped
        history = session.history()
        turn = session.start(q)

        def out(export: Any = gr.skip(), status: Any = gr.skip(), sources: bool = True) -> tuple[Any, ...]:
            # text deltas leave the sources alone, so a passage card opened while the model writes stays open
            panel = render.sources_panel_html(session.turns) if sources else gr.skip()
            return render.chat_messages(session.turns), panel, export, status, session, ""

        if not q:
            turn.error = EMPTY_QUESTION
            yield out()
            return
        if len(q) > self.settings.max_question_chars:
            turn.error = (f"The question is {len(q)} characters long; the limit is "
                          f"{self.settings.max_question_chars}. Shorten it and ask again.")
            yield out()
            return
        yield out()
        last = 0.0
        try:
            for item in self.assistant.stream(q, history=history, backend=session.backend, k=session.k):
                urgent = take_item(turn, item)
                now = time.monotonic()
                if urgent or (turn.answer is None and now - last >= STREAM_INTERVAL_S):
                    last = now
                    yield out(sources=isinstance(item, Evidence))
            if turn.answer is None:
                turn.error = "The answer engine finished without an answer. Try again or switch the backend."
        except Exception as exc:
            turn.error = _error_text(exc)
        yield out(export=self._export(session), status=self.status_line(session))

    def stop(self, session: ChatSession) -> tuple[Any, ...]:
        session.stop()
        return (render.chat_messages(session.turns), render.sources_panel_html(session.turns), self._export(session),
                session)

    def new_conversation(self, session: ChatSession) -> tuple[Any, ...]:
        session.clear()
        return ([], render.sources_panel_html([]), gr.DownloadButton(value=None, interactive=False), session, "")

    def set_backend(self, backend: str, session: ChatSession) -> tuple[ChatSession, str]:
        if backend in BACKENDS:
            session.backend = backend
        return session, self.status_line(session)

    def set_k(self, k: float, session: ChatSession) -> ChatSession:
        session.k = max(K_MIN, min(K_MAX, int(k)))
        return session

    # --- corpus and evidence ---------------------------------------------------------------------
    def corpus_view(self) -> tuple[Any, str]:
        """(manifest table, index status Markdown)."""
        try:
            rows = self.assistant.corpus()
            cols, data = tables.table(rows, tables.CORPUS_COLUMNS)
            frame: Any = {"headers": cols, "data": data} if data else {"headers": ["message"],
                                                                      "data": [["The manifest lists no papers."]]}
        except AssistantError as exc:
            frame = {"headers": ["message"], "data": [[str(exc)]]}
        except Exception as exc:
            log.exception("corpus status failed")
            frame = {"headers": ["message"], "data": [[f"Corpus status unavailable: {exc}"]]}
        return frame, self.index_markdown()

    def index_markdown(self) -> str:
        try:
            st = self.assistant.status()
        except Exception as exc:
            return f"**Index:** unavailable — {exc}"
        if not st.exists:
            return (f"**Index:** none in `{st.index_dir}`. Build it with `rtms-assistant index build`, "
                    "then press Refresh.")
        lines = [f"**Index:** {st.documents} documents, {st.chunks} chunks "
                 f"(built {st.built_at or '?'}) in `{st.path or st.index_dir}`"]
        if st.stale:
            lines.append("**Stale:** " + "; ".join(st.reasons) + " — run `rtms-assistant index build`.")
        else:
            lines.append("Up to date with the corpus.")
        if st.index_params:
            lines.append("Settings: " + ", ".join(f"{k}={v}" for k, v in st.index_params.items()))
        skipped = st.skipped
        if skipped:
            lines.append(f"Skipped files: {len(skipped)} (" + "; ".join(f"{k}: {v}" for k, v in
                                                                       list(skipped.items())[:3]) + ")")
        return "\n\n".join(lines)

    def evidence_choices(self) -> tuple[Any, ...]:
        """Choices of the four filters, from the whole table."""
        try:
            rows = self.assistant.evidence()
        except Exception:
            rows = []

        def dd(*keys: str) -> Any:
            return gr.Dropdown(choices=[ANY, *tables.distinct(rows, *keys)], value=ANY)

        return dd("marker"), dd("tissue"), dd("change", "direction"), dd("study_type")

    def evidence_view(self, marker: str, tissue: str, change: str, study_type: str,
                      session: ChatSession, show: str | None = None) -> tuple[Any, Any, str]:
        """(table, CSV download, note) for the chosen filters; ``show`` = conflicts only lists the marker x
        tissue-group pairs whose direction differs between studies, one row per side and study."""
        def val(v: str | None) -> str | None:
            return None if v in (None, "", ANY) else v

        preferred: tuple[str, ...] = tables.EVIDENCE_COLUMNS
        try:
            if show == tables.CONFLICTS_ONLY:
                preferred = tables.CONFLICT_COLUMNS
                rows = conflict_rows(self.assistant.evidence(marker=val(marker), tissue=val(tissue), conflicts=True))
            else:
                rows = self.assistant.evidence(marker=val(marker), tissue=val(tissue), change=val(change),
                                               study_type=val(study_type))
        except Exception as exc:
            msg = str(exc) if isinstance(exc, AssistantError) else f"Evidence table unavailable: {exc}"
            if not isinstance(exc, AssistantError):
                log.exception("evidence table failed")
            return {"headers": ["message"], "data": [[msg]]}, gr.DownloadButton(value=None, interactive=False), ""
        if not rows:
            return ({"headers": ["message"], "data": [["No rows match these filters."]]},
                    gr.DownloadButton(value=None, interactive=False), "0 rows")
        cols, data = tables.table(rows, preferred)
        path = tables.write_csv(rows, preferred, self._session_dir(session) / "rtms-evidence.csv")
        return {"headers": cols, "data": data}, gr.DownloadButton(value=str(path), interactive=True), \
            f"{len(rows)} rows"


    def studies_view(self, species: str, kind: str, humans_only: bool) -> str:
        """The Studies tab's table for the chosen filters (``humans_only`` overrides the species filter)."""
        def val(v: str | None) -> str | None:
            return None if v in (None, "", ANY) else v

        try:
            records = self.assistant.studies(species="human" if humans_only else val(species), kind=val(kind))
            store = self.assistant.store
        except AssistantError as exc:
            return render.error_html(str(exc))
        except Exception as exc:
            log.exception("studies table failed")
            return render.error_html(f"Studies table unavailable: {exc}")
        def sentence(chunk_id: str, start: int, end: int) -> str | None:
            row = store.row_of(chunk_id)
            return None if row is None else store.chunks[row].text[start:end]

        return render.studies_table_html(records, sentence)


def build_app(assistant: Assistant | None = None, settings: Settings | None = None,
              download_dir: Path | None = None) -> gr.Blocks:
    """The Blocks app. Nothing is loaded here: a missing index shows up as a message, not a crash."""
    assistant = assistant or Assistant(settings or Settings())
    web = WebApp(assistant, download_dir)
    s = assistant.settings

    with gr.Blocks(title="rtms-assistant", analytics_enabled=False) as demo:
        session = gr.State(web.new_session())
        gr.Markdown("## rtms-assistant\nAnswers about rTMS, neuropathic pain and neuroinflammation, "
                    "each claim cited to the passage it comes from.")
        status = gr.HTML(render.status_html(None, s.backend, render.model_label(s.backend, s)), elem_id="rtms-status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        elem_id="rtms-chat", height=560, label="Conversation", buttons=["copy"],
                        feedback_options=None, group_consecutive_messages=False, layout="bubble",
                        placeholder="Ask a question about rTMS and neuropathic pain. Answers cite passages "
                                    "as [n]; click a marker to read the passage.")
                    with gr.Row():
                        question = gr.Textbox(elem_id="rtms-question", show_label=False, scale=6, lines=1,
                                              max_lines=4, placeholder="Ask a question (Enter to send)",
                                              autofocus=True)
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rtms-send")
                        stop = gr.Button("Stop", variant="stop", scale=1, min_width=80, elem_id="rtms-stop")
                    with gr.Row():
                        new = gr.Button("New conversation", size="sm", elem_id="rtms-new")
                        export = gr.DownloadButton("Export conversation (.md)", value=None, interactive=False,
                                                   size="sm", elem_id="rtms-export")
                        ref_buttons = [gr.DownloadButton(f"References ({label})", value=None, interactive=False,
                                                         size="sm", elem_id=f"rtms-refs-{fmt}")
                                       for fmt, label in zip(REFERENCE_FORMATS, (".ris", ".bib", "CSL-JSON"),
                                                             strict=True)]
                    gr.Examples(EXAMPLES, inputs=[question], label="Example questions")
                    with gr.Accordion("Settings for this browser session", open=False, elem_id="rtms-settings"):
                        backend = gr.Dropdown(BACKENDS, value=str(s.backend), label="Backend", elem_id="rtms-backend",
                                              info="extractive: no LLM, quotes the best sentences; llama-cpp: "
                                                   "local GGUF; openai: an OpenAI-compatible server")
                        k = gr.Slider(K_MIN, K_MAX, value=s.top_k, step=1, label="Passages per answer",
                                      elem_id="rtms-k")
                with gr.Column(scale=2):
                    gr.Markdown("#### Sources")
                    sources = gr.HTML(render.sources_panel_html([]), elem_id="rtms-sources")
            with gr.Tab("Corpus", id="corpus"):
                refresh = gr.Button("Refresh", size="sm", elem_id="rtms-corpus-refresh")
                index_md = gr.Markdown(elem_id="rtms-index-status")
                corpus_df = gr.Dataframe(label="Papers in the manifest and what is present locally",
                                         interactive=False, wrap=True, elem_id="rtms-corpus")
            with gr.Tab("Evidence", id="evidence"):
                with gr.Row():
                    f_marker = gr.Dropdown([ANY], value=ANY, label="Marker", elem_id="rtms-f-marker")
                    f_tissue = gr.Dropdown([ANY], value=ANY, label="Tissue", elem_id="rtms-f-tissue")
                    f_change = gr.Dropdown([ANY], value=ANY, label="Direction", elem_id="rtms-f-change")
                    f_type = gr.Dropdown([ANY], value=ANY, label="Study type", elem_id="rtms-f-type")
                    f_show = gr.Dropdown(["all rows", tables.CONFLICTS_ONLY], value="all rows", label="Show",
                                         elem_id="rtms-f-conflicts",
                                         info="conflicts only: markers whose direction differs between studies")
                with gr.Row():
                    ev_count = gr.Markdown(elem_id="rtms-evidence-count")
                    ev_csv = gr.DownloadButton("Download CSV", value=None, interactive=False, size="sm",
                                               elem_id="rtms-evidence-csv")
                ev_df = gr.Dataframe(label="Evidence table (from the evidence notes)", interactive=False, wrap=True,
                                     elem_id="rtms-evidence")

            with gr.Tab("Studies", id="studies"):
                with gr.Row():
                    s_species = gr.Dropdown([ANY, "human", "animal", "rat", "mouse", "in vitro"], value=ANY,
                                            label="Species", elem_id="rtms-s-species")
                    s_kind = gr.Dropdown([ANY, "trial", "animal study", "in vitro", "review", "meta-analysis",
                                          "guideline", "evidence map"], value=ANY, label="Kind of study",
                                         elem_id="rtms-s-kind")
                    s_humans = gr.Checkbox(False, label="Humans only", elem_id="rtms-s-humans")
                studies_html = gr.HTML(elem_id="rtms-studies")

        chat_out = [chatbot, sources, export, status, session, question]
        gen: dict[str, Any] = {"concurrency_limit": s.web_concurrency, "concurrency_id": "generate",
                               "show_progress": "hidden"}
        ev_submit = question.submit(web.respond, [question, session], chat_out, **gen)
        ev_click = send.click(web.respond, [question, session], chat_out, **gen)
        stopped = stop.click(web.stop, [session], [chatbot, sources, export, session], cancels=[ev_submit, ev_click],
                             queue=False)
        cleared = [clear(web.new_conversation, [session], [chatbot, sources, export, session, question],
                         cancels=[ev_submit, ev_click])
                   for clear in (new.click, chatbot.clear)]  # the chatbot's own trash icon starts over too
        for ev in (ev_submit, ev_click, stopped, *cleared):  # reference downloads follow the Markdown export
            ev.then(web.reference_exports, [session], ref_buttons, queue=False)
        backend.change(web.set_backend, [backend, session], [session, status])
        k.change(web.set_k, [k, session], [session])

        refresh.click(web.corpus_view, None, [corpus_df, index_md])
        filters = [f_marker, f_tissue, f_change, f_type]
        for f in filters:
            f.input(web.evidence_view, [*filters, session, f_show], [ev_df, ev_csv, ev_count])
        f_show.input(web.evidence_view, [*filters, session, f_show], [ev_df, ev_csv, ev_count])

        study_filters: list[Any] = [s_species, s_kind, s_humans]
        for sf in study_filters:
            sf.input(web.studies_view, study_filters, [studies_html])
        demo.load(web.studies_view, study_filters, [studies_html])

        demo.load(web.status_line, [session], [status])
        demo.load(web.corpus_view, None, [corpus_df, index_md])
        demo.load(web.evidence_choices, None, filters).then(web.evidence_view, [*filters, session],
                                                             [ev_df, ev_csv, ev_count])
    queued: gr.Blocks = demo.queue(default_concurrency_limit=4, max_size=64)
    return queued


def theme() -> gr.themes.Base:
    """Default theme with system fonts (the stock theme fetches web fonts, and we run offline)."""
    return gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
                             font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])


def launch_kwargs() -> dict[str, Any]:
    # The app has no upload widget: Gradio's upload route (which needs no login) takes at most MAX_UPLOAD.
    return {"theme": theme(), "css": CSS, "js": CITE_JS, "ssr_mode": False, "show_error": False,
            "max_file_size": MAX_UPLOAD}


def warm_up(assistant: Assistant) -> str | None:
    """Open the index and load the embedder now so the first question is fast; the error text if that fails."""
    try:
        assistant.search("rTMS neuropathic pain", k=1)
    except AssistantError as exc:
        return str(exc)
    except Exception as exc:
        log.exception("warm-up failed")
        return f"{type(exc).__name__}: {exc}"
    return None
