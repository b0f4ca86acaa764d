"""Build the served snippet files from their commented sources and the gettext catalogs.

    npm ci --prefix snippet && python snippet/build.py          # rebuild static/js/*.js
    python snippet/build.py --check                             # are they up to date?
    python snippet/build.py --update-catalogs [LANG…]           # new strings into snippet.po

The snippet's strings are written once, in English, in the sources, inside ``L10N(…)``:

- ``L10N([...])`` / ``L10N({...})`` (the loader, ``errata.js``): replaced by every language's
  translation, ``{"en": [...], "ru": [...]}``, since the language is known only in the browser;
- ``L10N({...}, lang)`` (the dialog): replaced by one language's object in
  ``errata-dialog.<lang>.js``, one file per language, and by a table of all of them looked up
  by ``lang`` in the legacy ``errata-dialog.js`` that loaders cached before the split still ask
  for; that file also gets ``legacy.js`` appended, the adapter for that loader.

The argument is JSON (double quotes, no comments). Translations come from the gettext domain
``snippet``: ``translations/<lang>/LC_MESSAGES/snippet.po``, read with Babel. A language is a
folder with that file; English is the source language (an empty ``msgstr`` means the English
text). An untranslated or fuzzy entry falls back to English with a warning.

The served files are UglifyJS output (the sources' comments cost more bytes than the whole
budget allows). UglifyJS 3 was chosen over terser for size: with the options below its gzip
output is about 1 % smaller on these files (terser 5.51 with ``passes=2``: 37 B more on the
Russian dialog, 5 B on the loader; no terser option closed the gap), and it has no
dependencies. ``built.json`` records the SHA-256 of every input and output, so
``tests/test_snippet_size.py`` can tell a stale build without node; it also rebuilds with
UglifyJS and compares byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "static" / "js"
TRANSLATIONS = ROOT / "translations"
DOMAIN = "snippet"
LOADER, DIALOG, LEGACY = "errata.js", "errata-dialog.js", "legacy.js"
SOURCE_LANG = "en"
MINIFIER = HERE / "node_modules" / ".bin" / "uglifyjs"
RECORD = HERE / "built.json"
# UglifyJS compresses as for an ES module by default (strict mode assumed): the sources are
# written for that (arrow functions, no this, arguments, with or sloppy-only constructs).
ARGS = ["--compress", "passes=3", "--mangle", "--comments", "/^!/"]
MARK = "L10N("


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def catalog_path(lang: str, translations: Path = TRANSLATIONS) -> Path:
    return translations / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(translations: Path = TRANSLATIONS) -> list[str]:
    """English first, then every language with a snippet catalog, sorted."""
    found = {p.parent.parent.name for p in translations.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return [SOURCE_LANG, *sorted(found - {SOURCE_LANG})]


def markers(source: str) -> list[tuple[int, int, object, str | None]]:
    """Each ``L10N(json[, expr])`` in ``source``: (start, end, English value, expr or None)."""
    found, at, decoder = [], 0, json.JSONDecoder()
    while (at := source.find(MARK, at)) >= 0:
        value, stop = decoder.raw_decode(source, at + len(MARK))
        close = source.index(")", stop)
        expr = source[stop:close].strip().lstrip(",").strip() or None
        found.append((at, close + 1, value, expr))
        at = close + 1
    return found


def msgids(value: object) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else list(value)


def source_msgids() -> list[str]:
    """Every English string of both sources, in order, once."""
    seen: dict[str, None] = {}
    for name in (LOADER, DIALOG):
        for *_, value, _expr in markers((HERE / name).read_text(encoding="utf-8")):
            seen.update(dict.fromkeys(msgids(value)))
    return list(seen)


def translations_for(lang: str, translations: Path = TRANSLATIONS) -> dict[str, str]:
    """msgid -> text in ``lang``; untranslated and fuzzy entries are left out."""
    if lang == SOURCE_LANG and not catalog_path(lang, translations).exists():
        return {}
    with catalog_path(lang, translations).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def translate(value: object, table: dict[str, str], lang: str) -> object:
    def one(text: str) -> str:
        if text not in table and lang != SOURCE_LANG:
            print(f"warning: {lang}: untranslated, English used: {text!r}", file=sys.stderr)
        return table.get(text, text)

    if isinstance(value, dict):
        return {k: one(v) for k, v in value.items()}
    return [one(v) for v in value]


def js(value: object) -> str:
    # ensure_ascii=False: UTF-8 Cyrillic is 2 bytes a letter, \uXXXX escapes 6.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def localise(source: str, tables: dict[str, dict[str, str]], only: str | None) -> str:
    """``source`` with its L10N markers replaced, for one language or (None) for all."""
    out, last = [], 0
    for start, end, value, expr in markers(source):
        every = {lang: translate(value, table, lang) for lang, table in tables.items()}
        if expr is None:
            text = js(every)
        elif only:
            text = js(every[only])
        else:
            text = f"(({js(every)})[{expr}]||{js(every[SOURCE_LANG])})"
        out += [source[last:start], text]
        last = end
    return "".join([*out, source[last:]])


def minify(source: str) -> bytes:
    with tempfile.NamedTemporaryFile("w", suffix=".js", encoding="utf-8") as f:
        f.write(source)
        f.flush()
        out = subprocess.run([str(MINIFIER), f.name, *ARGS], check=True,
                             capture_output=True).stdout
    return out.rstrip(b"\n") + b"\n"


def outputs(translations: Path = TRANSLATIONS) -> dict[str, bytes]:
    """Every served file, by name: the loader, a dialog per language and the legacy dialog."""
    langs = languages(translations)
    tables = {lang: translations_for(lang, translations) for lang in langs}
    loader = (HERE / LOADER).read_text(encoding="utf-8")
    dialog = (HERE / DIALOG).read_text(encoding="utf-8")
    files = {LOADER: minify(localise(loader, tables, None))}
    for lang in langs:
        files[f"errata-dialog.{lang}.js"] = minify(localise(dialog, tables, lang))
    legacy = (HERE / LEGACY).read_text(encoding="utf-8")
    files[DIALOG] = minify(localise(dialog, tables, None) + legacy)
    return files


def inputs(translations: Path = TRANSLATIONS) -> dict[str, str]:
    paths = [HERE / LOADER, HERE / DIALOG, HERE / LEGACY,
             *(catalog_path(lang, translations) for lang in languages(translations))]
    return {str(p.relative_to(ROOT)): sha(p.read_bytes()) for p in paths if p.exists()}


def record(out: Path = OUT) -> dict[str, dict[str, str]]:
    return {"inputs": inputs(),
            "outputs": {p.name: sha(p.read_bytes()) for p in sorted(out.glob("*.js"))}}


def gzip_size(data: bytes) -> int:
    return len(subprocess.run(["gzip", "-9c"], input=data, capture_output=True,
                              check=True).stdout)


def build(out: Path = OUT, translations: Path = TRANSLATIONS) -> dict[str, bytes]:
    files = outputs(translations)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("errata-dialog.*.js"):
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return files


def update_catalogs(new: list[str] = (), translations: Path = TRANSLATIONS) -> None:
    """Put the sources' strings into every snippet.po (and new languages' ones), keeping
    existing translations."""
    template = Catalog(domain=DOMAIN, project="Errata snippet")
    for text in source_msgids():
        template.add(text)
    for lang in dict.fromkeys([*languages(translations), *new]):
        path = catalog_path(lang, translations)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="Errata snippet")
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        recorded = json.loads(RECORD.read_text())
        if recorded != record():
            print("stale: the served files are not built from the current sources and "
                  "catalogs (run python snippet/build.py)")
            return 1
        return 0
    if "--update-catalogs" in argv:
        update_catalogs([a for a in argv if not a.startswith("-")])
        return 0
    files = build()
    RECORD.write_text(json.dumps(record(), indent=2) + "\n")
    for name, data in files.items():
        print(f"{name:24} {len(data):6} B raw {gzip_size(data):6} B gzip -9")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
