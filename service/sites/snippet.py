"""Facts about the snippet file that site owners embed."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from service import asset_dir


def snippet_path() -> Path:
    return Path(asset_dir("static")) / "js" / "errata.js"


@lru_cache(maxsize=1)
def integrity() -> str | None:
    """The Subresource Integrity value of the current ``errata.js`` (sha384), if present."""
    path = snippet_path()
    if not path.exists():
        return None
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()
