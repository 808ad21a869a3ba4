"""Generate the clients an integrator would, from the OpenAPI document, into build/clients/
(git-ignored): ``make clients`` runs it, and so does tests/api/test_generated_clients.py.

- build/clients/openapi.json — the document, as the app serves it;
- build/clients/python/reachboard_client — openapi-python-client (requirements-dev.txt), with
  tests/clients/openapi-python-client.yml (the CSV import's body);
- build/clients/ts/schema.d.ts — openapi-typescript (package.json), the types openapi-fetch uses;
- build/clients/ts/out/ — tests/clients/integrator.ts compiled by ``tsc --strict``
  (tests/clients/tsconfig.json): compiling is the TypeScript client's first test.

``--if-needed`` does nothing when build/clients holds clients made from the same document;
``--python-only`` skips the TypeScript steps (no Node.js). Nothing here needs the internet: the
generators are installed beforehand (``make dev``, ``make node``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "build" / "clients"
SPEC = BUILD / "openapi.json"
PYTHON_OUT = BUILD / "python" / "reachboard_client"
TS_TYPES = BUILD / "ts" / "schema.d.ts"
TS_OUT = BUILD / "ts" / "out"
NODE_BIN = ROOT / "node_modules" / ".bin"


def document() -> str:
    """The OpenAPI document of an app built with the testing settings (no database needed)."""
    sys.path.insert(0, str(ROOT))
    from backend import create_app

    app = create_app("testing")
    return json.dumps(app.extensions["reachboard_api"].spec.to_dict(), indent=2) + "\n"


def run(cmd: list[str], **kwargs) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def generate_python() -> None:
    shutil.rmtree(PYTHON_OUT, ignore_errors=True)
    PYTHON_OUT.parent.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("openapi-python-client")
    run([str(exe), "generate", "--path", str(SPEC), "--output-path", str(PYTHON_OUT), "--meta", "none",
         "--config", str(HERE / "openapi-python-client.yml")])


def generate_typescript() -> None:
    missing = [tool for tool in ("openapi-typescript", "tsc") if not (NODE_BIN / tool).exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} not in node_modules/.bin: run `make node` (npm ci) first")
    shutil.rmtree(TS_OUT, ignore_errors=True)
    TS_TYPES.parent.mkdir(parents=True, exist_ok=True)
    run([str(NODE_BIN / "openapi-typescript"), str(SPEC), "--output", str(TS_TYPES)])
    run([str(NODE_BIN / "tsc"), "--project", str(HERE / "tsconfig.json")])


def up_to_date(text: str, python_only: bool) -> bool:
    outputs = [PYTHON_OUT / "__init__.py"] + ([] if python_only else [TS_TYPES, TS_OUT / "integrator.js"])
    return SPEC.exists() and SPEC.read_text() == text and all(p.exists() for p in outputs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-needed", action="store_true", help="skip when the clients match the document")
    parser.add_argument("--python-only", action="store_true", help="no TypeScript (no Node.js here)")
    args = parser.parse_args(argv)
    text = document()
    if args.if_needed and up_to_date(text, args.python_only):
        print(f"clients in {BUILD.relative_to(ROOT)} are up to date")
        return
    BUILD.mkdir(parents=True, exist_ok=True)
    SPEC.write_text(text)
    try:
        generate_python()
        print(f"Python client: {PYTHON_OUT.relative_to(ROOT)}")
        if not args.python_only:
            generate_typescript()
            print(f"TypeScript types: {TS_TYPES.relative_to(ROOT)}; integrator.ts compiled (--strict) into "
                  f"{TS_OUT.relative_to(ROOT)}")
    except BaseException:
        SPEC.unlink(missing_ok=True)  # a run that failed midway is redone next time
        raise


if __name__ == "__main__":
    main()
