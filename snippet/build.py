"""Build the served snippet files from their commented sources.

    npm ci --prefix snippet && python snippet/build.py          # rebuild static/js/*.js
    python snippet/build.py --check                             # are they up to date?

The served files are terser output (the sources' comments cost more bytes than the whole
budget allows). ``built.json`` records the SHA-256 of each source and of its output, so
``tests/test_snippet_size.py`` can tell a stale build without node; with terser installed it
also rebuilds and compares byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "static" / "js"
FILES = ("errata.js", "errata-dialog.js")
TERSER = HERE / "node_modules" / ".bin" / "terser"
RECORD = HERE / "built.json"
ARGS = ["--compress", "passes=2", "--mangle", "--comments", "/^!/", "--ecma", "2017"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def minify(name: str) -> bytes:
    out = subprocess.run([str(TERSER), str(HERE / name), *ARGS], check=True,
                         capture_output=True).stdout
    return out.rstrip(b"\n") + b"\n"


def record() -> dict[str, dict[str, str]]:
    return {name: {"source": sha((HERE / name).read_bytes()),
                   "output": sha((OUT / name).read_bytes())} for name in FILES}


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = [n for n, r in json.loads(RECORD.read_text()).items() if r != record()[n]]
        if stale:
            print("stale: " + ", ".join(stale) + " (run python snippet/build.py)")
        return 1 if stale else 0
    for name in FILES:
        (OUT / name).write_bytes(minify(name))
    RECORD.write_text(json.dumps(record(), indent=2) + "\n")
    for name in FILES:
        data = (OUT / name).read_bytes()
        gz = subprocess.run(["gzip", "-9c"], input=data, capture_output=True, check=True).stdout
        print(f"{name:20} {len(data):6} B raw {len(gz):6} B gzip -9")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
