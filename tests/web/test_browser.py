"""End-to-end: the real app (`rtms-assistant serve`, extractive backend, an index built from the real corpus in a
temp folder) driven in Debian's headless Chromium through Playwright; and the same app over a slow fake assistant
whose stream yields the evidence, pauses, then writes, so the evidence-first display is seen while it happens.

Needs `apt-get install -y chromium chromium-driver`; screenshots go to tests/artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT_MS = 120_000
Q1 = "Which glial markers does rTMS reduce?"
Q2 = "in which tissue?"
Q_NEEDS_MODEL = "What does rTMS do to microglia in neuropathic pain?"
"""A question the study records cannot answer alone (no direction, tissue or field asked): the backend writes it.
(After Q1 and Q2, Q1 itself is answered from the records of the studies in focus, with no call to the backend.)"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("rtms-assistant")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from assistant.cli import main; main()"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("web-e2e")
    dead_port = _free_port()  # nothing listens here: the openai backend must fail with a readable message
    e = {**os.environ, "RTMS_INDEX_DIR": str(tmp / "index"), "RTMS_HOME": str(tmp / "home"),
         "RTMS_BACKEND": "extractive", "RTMS_OPENAI_BASE_URL": f"http://127.0.0.1:{dead_port}/v1",
         "RTMS_OPENAI_TIMEOUT_S": "3", "GRADIO_TEMP_DIR": str(tmp / "gradio"), "GRADIO_ANALYTICS_ENABLED": "False",
         "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    e["RTMS_TEST_DEAD_PORT"] = str(dead_port)
    (tmp / "tmp").mkdir()
    e["TMPDIR"] = str(tmp / "tmp")  # the server's exports and CSVs stay inside pytest's temp folder
    build = subprocess.run([*_cli(), "index", "build"], env=e, cwd=ROOT, capture_output=True, text=True,
                           timeout=900)
    assert build.returncode == 0, f"index build failed:\n{build.stdout}\n{build.stderr}"
    return e


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([*_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    url: list[str] = []
    ready = threading.Event()

    def pump() -> None:  # keep reading so the pipe never fills up
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if m := re.search(r"web UI: (http://127\.0\.0\.1:\d+/?)", line):
                url.append(m.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert ready.wait(300) and url, "server did not print its URL:\n" + "".join(lines)
        assert url[0].startswith(f"http://127.0.0.1:{port}")
        yield url[0]
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1100})
    page = ctx.new_page()
    page.goto(url)
    page.locator("#rtms-status").get_by_text("chunks indexed").wait_for(timeout=60_000)
    # record every state the answer bubbles go through, to see streaming happen (and in which order)
    page.evaluate("""() => {
        window.__seen = [];
        new MutationObserver(() => document.querySelectorAll('#rtms-chat .rtms-answer').forEach(
            (e) => window.__seen.push(e.className + (e.querySelector('.evidence-block') ? ' +evidence' : '')
                                      + (e.querySelector('.synthesis') ? ' +synthesis' : ''))
        )).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    return ctx, page


def _answers(page):
    return page.locator("#rtms-chat .rtms-answer:not(.streaming)")


def _ask(page, question: str, *, button: bool = False):
    """Ask and wait for the finished bubble; return its locator."""
    n = _answers(page).count()
    box = page.locator("#rtms-question textarea")
    box.fill(question)
    if button:
        page.locator("#rtms-send").click()
    else:
        box.press("Enter")
    bubble = _answers(page).nth(n)
    bubble.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return bubble


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_chat_cite_follow_up_export_and_errors(server, browser, env, tmp_path):
    ctx, page = _open(browser, server)
    try:
        # 1. ask; the answer streams in (placeholder/streaming state seen), then carries linked citations
        first = _ask(page, Q1)
        _shot(page, "01-first-answer")
        assert any("streaming" in c for c in page.evaluate("window.__seen")), "no streaming state was rendered"
        assert "refused" not in (first.get_attribute("class") or ""), first.inner_text()
        text = first.locator(".answer-text").inner_text()
        assert re.search(r"iba1|gfap|microgl|astrocyt|glia", text, re.I), text
        cites = first.locator(".answer-text a.cite")
        assert cites.count() >= 1
        assert first.locator(".evidence-block .ev-sent a.cite").count() >= 1  # the engine's evidence sentences

        # 2. click the first citation: its source card opens and shows the passage behind it
        href = cites.first.get_attribute("href")
        assert href and re.fullmatch(r"#src-1-\d+", href)
        card = page.locator(href)
        assert not card.evaluate("e => e.open")
        cites.first.click()
        page.wait_for_function("id => document.getElementById(id).open", arg=href[1:])
        passage = card.locator("blockquote.passage")
        assert passage.is_visible() and len(passage.inner_text().split()) >= 5
        assert card.locator(".badge.kind").inner_text() in {"Full text", "Abstract", "Evidence note", "PDF", "Text"}
        assert card.locator(".flag").count() == 1
        assert "active" in (card.get_attribute("class") or "")
        mark = passage.locator("mark.hl-cited")  # the sentence the answer cites, marked inside its passage
        assert mark.count() >= 1 and len(mark.first.inner_text().split()) >= 3
        _shot(page, "02-cited-passage-open")

        # 3. a follow-up that only makes sense with the first turn: the searched query carries its topic
        second = _ask(page, Q2, button=True)
        _shot(page, "03-follow-up")
        assert "refused" not in (second.get_attribute("class") or ""), second.inner_text()
        assert second.locator(".answer-text a.cite").count() >= 1
        searched = second.locator(".answer-meta").inner_text()
        assert re.search(r"searched: .*(glia|marker|rtms)", searched, re.I), searched
        assert page.locator("#rtms-sources #turn-2").count() == 1 and page.locator("#rtms-sources #turn-1").count()

        # 4. export: a Markdown file with both turns and a numbered bibliography the markers point into
        with page.expect_download() as dl:
            page.locator("#rtms-export").click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        md = path.read_text(encoding="utf-8")
        assert path.suffix == ".md"
        assert f"## 1. {Q1}" in md and f"## 2. {Q2}" in md
        body, refs = md.split("## References", 1)
        ref_lines = re.findall(r"^\d+\. .+$", refs, re.M)
        numbers = [int(line.split(".", 1)[0]) for line in ref_lines]
        assert numbers and numbers == list(range(1, len(numbers) + 1))
        assert all(re.search(r" (\d{4}|n\.d\.)\. ", line) for line in ref_lines), ref_lines
        assert {int(n) for n in re.findall(r"\[(\d+)\]", body)} <= set(numbers)
        assert "doi.org/" in refs or "PMID" in refs

        # 5. errors are messages in the chat: an empty question, then a backend server that is down
        page.locator("#rtms-question textarea").fill("")
        page.locator("#rtms-send").click()
        empty = page.locator("#rtms-chat .rtms-answer.error").last
        empty.wait_for(timeout=30_000)
        assert "Type a question first" in empty.inner_text()

        page.locator("#rtms-settings").get_by_text("Settings for this browser session").click()
        page.locator("#rtms-backend input").click()
        page.get_by_role("option", name="openai").click()
        page.locator("#rtms-status").get_by_text("openai").wait_for(timeout=30_000)
        n_err = page.locator("#rtms-chat .rtms-answer.error").count()
        page.locator("#rtms-question textarea").fill(Q_NEEDS_MODEL)
        page.locator("#rtms-question textarea").press("Enter")
        err = page.locator("#rtms-chat .rtms-answer.error").nth(n_err)
        err.wait_for(timeout=ANSWER_TIMEOUT_MS)
        _shot(page, "04-server-down-error")
        msg = err.inner_text()
        assert f"127.0.0.1:{env['RTMS_TEST_DEAD_PORT']}" in msg and "another backend" in msg, msg
        assert "Traceback" not in msg and 'File "' not in msg

        # 6. new conversation clears the chat, the sources and the export
        page.locator("#rtms-new").click()
        page.locator("#rtms-sources .rtms-sources.empty").wait_for(timeout=30_000)
        assert page.locator("#rtms-chat .rtms-answer").count() == 0
        assert page.locator("#rtms-export").is_disabled()
    finally:
        ctx.close()


def test_studies_tab_badges_and_humans_only(server, browser):
    """The Studies tab lists one row per paper from its study record; "Humans only" leaves only human studies; a
    cell's link opens the sentence it was read from; source cards carry the record's evidence badge."""
    ctx, page = _open(browser, server)
    try:
        answer = _ask(page, "Which cytokines does rTMS lower in CCI rats?")
        assert "refused" not in (answer.get_attribute("class") or ""), answer.inner_text()
        badges = page.locator("#rtms-sources .badge.study")
        assert badges.count() >= 1
        assert re.search(r"rat|n = \d+|RCT|review|trial|patients", badges.first.inner_text()), badges.first.inner_text()
        _shot(page, "05-study-badges")

        page.get_by_role("tab", name="Studies").click()
        rows = page.locator("#rtms-studies table.studies tbody tr")
        rows.first.wait_for(timeout=60_000)
        n_all = rows.count()
        n_human = page.locator("#rtms-studies table.studies tbody tr.human").count()
        assert n_all >= 20 and 0 < n_human < n_all, (n_all, n_human)
        _shot(page, "06-studies-all")

        page.locator("#rtms-s-humans input").check()
        page.wait_for_function("n => document.querySelectorAll('#rtms-studies tbody tr').length === n",
                               arg=n_human, timeout=30_000)
        assert page.locator("#rtms-studies tbody tr:not(.human)").count() == 0
        _shot(page, "07-studies-humans-only")

        link = page.locator("#rtms-studies a.src-ref").first
        target = link.get_attribute("href")
        assert target and target.startswith("#study-src-")
        sentence = page.locator(target)
        assert len(sentence.inner_text().split()) >= 4  # the source sentence behind the cell
        assert "not in the index" not in sentence.inner_text()
    finally:
        ctx.close()


def test_two_sessions_do_not_see_each_other(server, browser):
    ctx_a, a = _open(browser, server)
    ctx_b, b = _open(browser, server)
    try:
        qa, qb = Q1, "Does rTMS change BDNF levels?"
        for page, q in ((a, qa), (b, qb)):  # both submitted before either finishes: they share one queue
            page.locator("#rtms-question textarea").fill(q)
            page.locator("#rtms-question textarea").press("Enter")
        for page in (a, b):
            _answers(page).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        _shot(a, "05-session-a")
        _shot(b, "06-session-b")
        chat_a, chat_b = a.locator("#rtms-chat").inner_text(), b.locator("#rtms-chat").inner_text()
        assert qa in chat_a and qb not in chat_a
        assert qb in chat_b and qa not in chat_b
        assert qb not in a.locator("#rtms-sources").inner_text()
        verdict = b.locator("#rtms-chat .badge.verdict")  # a yes/no question always gets a verdict
        assert verdict.count() == 1 and verdict.inner_text().strip() in {
            "Yes", "No", "Mixed evidence", "Insufficient evidence"}
        assert qa not in b.locator("#rtms-sources").inner_text()
        # a per-session setting in A leaves B alone
        a.locator("#rtms-settings").get_by_text("Settings for this browser session").click()
        a.locator("#rtms-backend input").click()
        a.get_by_role("option", name="openai").click()
        a.locator("#rtms-status").get_by_text("openai").wait_for(timeout=30_000)
        b.reload()
        b.locator("#rtms-status").get_by_text("chunks indexed").wait_for(timeout=60_000)
        assert "Backend: extractive" in b.locator("#rtms-status").inner_text()
        assert b.locator("#rtms-chat .rtms-answer").count() == 0  # a reload is a new session
    finally:
        ctx_a.close()
        ctx_b.close()


XSS = ' <img src=x onerror="window.__xss=1">'
EVIDENCE_PAUSE_S = 2.5


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app in this process over a fake assistant: Evidence at once, then a pause, then the words slowly.
    Its passages carry markup that must stay text."""
    from webfakes import FakeAssistant, yes_no_answer

    from assistant.settings import Settings
    from assistant.web.app import build_app, launch_kwargs

    tmp = tmp_path_factory.mktemp("web-fake")
    fake = FakeAssistant(Settings(backend="extractive", index_dir=tmp / "none"), pause_s=EVIDENCE_PAUSE_S,
                         word_s=0.15, make=lambda q: yes_no_answer(q, extra=XSS))
    demo = build_app(fake, download_dir=tmp / "downloads")  # type: ignore[arg-type]
    demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True,
                inbrowser=False, **launch_kwargs())
    try:
        yield demo.local_url
    finally:
        demo.close()


def test_evidence_first_then_verdict_badge_and_highlighted_sentence(fake_server, browser, tmp_path):
    from webfakes import YES_SENTENCE_1, YES_SENTENCE_2

    ctx, page = _open(browser, fake_server)
    try:
        q = "Does stimulation lower glial markers?"
        page.locator("#rtms-question textarea").fill(q)
        t0 = time.monotonic()
        page.locator("#rtms-question textarea").press("Enter")

        # 1. the evidence block shows up while the answer is still pending, before any model text
        block = page.locator("#rtms-chat .rtms-answer.streaming .evidence-block")
        block.wait_for(timeout=30_000)
        seen_after_s = time.monotonic() - t0
        assert _answers(page).count() == 0, "the final answer came before the evidence was seen"
        assert page.locator("#rtms-chat .rtms-answer.streaming .synthesis").count() == 0
        _shot(page, "07-evidence-before-answer")
        assert seen_after_s < EVIDENCE_PAUSE_S, seen_after_s
        assert block.locator(".evidence-label").text_content() == "Evidence (verified, from the passages)"
        sentences = block.locator(".ev-sent")
        assert sentences.count() == 2 and YES_SENTENCE_1 in sentences.first.inner_text()
        assert "[1]" in sentences.first.inner_text()
        assert block.locator(".ev-head").first.inner_text().startswith("Doe et al. 2021")
        assert page.locator("#rtms-sources mark.hl-evidence").count() == 2  # its passages, marked, meanwhile

        # 2. the model's text streams in below the evidence; then the checked answer with its verdict badge
        final = _answers(page).first
        final.wait_for(timeout=60_000)
        seen = page.evaluate("window.__seen")
        writing = [i for i, c in enumerate(seen) if "streaming" in c and "+synthesis" in c]
        evidence_only = [i for i, c in enumerate(seen) if "streaming" in c and "+evidence" in c
                         and "+synthesis" not in c]
        assert evidence_only and writing and evidence_only[0] < writing[0], seen
        assert all("+evidence" in seen[i] for i in writing), "the evidence left while the model wrote"
        badge = final.locator(".verdict-row .badge.verdict")
        assert badge.inner_text().strip() == "Yes" and "verdict-yes" in (badge.get_attribute("class") or "")
        assert final.locator(".evidence-block .ev-sent").count() == 2
        assert "microglial markers fell" in final.locator(".answer-text").inner_text()

        # 3. the citation opens its passage with the cited sentence highlighted inside it
        cite = final.locator(".answer-text a.cite").first
        href = cite.get_attribute("href")
        assert href == "#src-1-1"
        cite.click()
        page.wait_for_function("id => document.getElementById(id).open", arg=href[1:])
        quote = page.locator(f"{href} blockquote.passage")
        mark = quote.locator("mark.hl-cited")
        assert mark.count() == 1 and mark.is_visible()
        assert mark.inner_text().strip() == YES_SENTENCE_1
        whole = quote.inner_text()
        assert whole.index("Invented background about rats") < whole.index(YES_SENTENCE_1) \
            < whole.index("A closing invented remark")
        _shot(page, "08-verdict-and-highlighted-sentence")

        # 4. markup in corpus text stays text everywhere it is shown
        assert page.evaluate("window.__xss") is None
        assert XSS.strip() in whole and XSS.strip() in final.locator(".evidence-block").inner_text()
        assert page.locator("#rtms-chat img[src='x'], #rtms-sources img[src='x']").count() == 0

        # 5. the export carries the verdict and the evidence
        with page.expect_download() as dl:
            page.locator("#rtms-export").click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        md = path.read_text(encoding="utf-8")
        assert "**Verdict: Yes**" in md and f"“{YES_SENTENCE_1}” [1]" in md
        assert YES_SENTENCE_2[:-1] in md
    finally:
        ctx.close()


def test_artifacts_folder_is_ignored():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SHOTS / "x.png")], cwd=ROOT)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0
