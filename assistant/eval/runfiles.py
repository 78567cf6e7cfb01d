"""The files of a run folder, shared by every benchmark runner (`eval run`, `eval pubmedqa`).

``config.json`` says what was run; ``results.jsonl`` gets one JSON line per question, appended and fsynced as
each question finishes, so an interrupted run resumes where it stopped; reports are written atomically.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.atomicio import write_text as write_atomic
from assistant.errors import AssistantError

__all__ = ["CONFIG", "CONFIG_KEYS", "RESULTS", "RunConfigError", "append_result", "check_config", "read_results",
           "repair_results", "run_benchmark", "write_atomic"]

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
CONFIG = "config.json"
CONFIG_KEYS = ("backend", "retrieval", "settings_hash", "judge")
"""Config entries that must match for a run folder to be resumed."""


class RunConfigError(AssistantError):
    """The run folder holds results of another configuration."""


def read_results(out_dir: Path | str) -> list[dict[str, Any]]:
    """Recorded results; a truncated last line (a crash mid-write) is ignored and will be redone."""
    path = Path(out_dir) / RESULTS
    if not path.exists():
        return []
    rows = []
    # split at newlines only: str.splitlines also splits inside JSON strings at U+2028/U+2029 (found in abstracts)
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("ignoring an unreadable line in %s (an interrupted write); it will be redone", path)
    return rows


def repair_results(path: Path) -> None:
    """Drop unreadable lines (an interrupted write) so new results start on a clean line."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    good = [json.dumps(r, ensure_ascii=False) for r in read_results(path.parent)]
    if text != "".join(g + "\n" for g in good) and text.strip():
        write_atomic(path, "".join(g + "\n" for g in good))


def append_result(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def check_config(out_dir: Path, config: dict[str, Any], keys: Sequence[str] = CONFIG_KEYS,
                 command: str = "eval run") -> None:
    """Refuse to mix results of different configurations in one folder; then (re)write config.json."""
    path = out_dir / CONFIG
    if path.exists() and (out_dir / RESULTS).exists():
        old = json.loads(path.read_text())
        diff = [f"{k}: {old.get(k)} → {config.get(k)}" for k in keys if old.get(k) != config.get(k)]
        if diff:
            raise RunConfigError(f"{out_dir} holds results of another configuration ({'; '.join(diff)}): "
                                 f"give `{command}` another --out folder or delete that one")
    write_atomic(path, json.dumps(config, indent=2, ensure_ascii=False))


def run_benchmark(run_dir: Path | str) -> str:
    """Which harness wrote a run folder: 'pubmedqa' or 'eval' (`eval run`; also when config.json is unreadable)."""
    try:
        return str(json.loads((Path(run_dir) / CONFIG).read_text()).get("benchmark") or "eval")
    except (OSError, json.JSONDecodeError, AttributeError):
        return "eval"
