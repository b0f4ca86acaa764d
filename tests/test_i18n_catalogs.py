"""No string left behind, and a third language is one catalog.

- pybabel extracts the messages exactly as docs/i18n.md says; every one of them must be in the
  Russian catalog, translated and not fuzzy, with the same placeholders;
- a user-visible string in a template or in Python that is not marked for translation fails
  the test, naming the file and the text;
- a throwaway Ukrainian catalog, added at test time, makes the login page speak Ukrainian.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

from service import create_app
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SERVICE = ROOT / "service"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def template_catalog(tmp_path_factory) -> Catalog:
    """``messages.pot`` made by the documented command."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "_l", "--add-location=file",
         "--sort-output", "--no-wrap", "--project=Errata", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True)
    with out.open("rb") as fh:
        return read_po(fh)


def _ru() -> Catalog:
    with (ROOT / "translations/ru/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale="ru")


def test_every_extracted_message_is_translated_into_russian(template_catalog):
    ru = _ru()
    problems = []
    for message in template_catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found = ru.get(message.id)
        if found is None:
            problems.append(f"missing: {key!r}")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(strings):
            problems.append(f"untranslated: {key!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        else:
            wanted = set(PLACEHOLDER.findall(" ".join(
                message.id if isinstance(message.id, tuple) else (message.id,))))
            for text in strings:
                if set(PLACEHOLDER.findall(text)) - wanted:
                    problems.append(f"unknown placeholder in the Russian of {key!r}: {text!r}")
    assert not problems, ("update and translate translations/ru (docs/i18n.md):\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("domain", ["messages", "snippet"])
def test_russian_catalogs_are_finished_headers_included(domain):
    """The reader dialog's catalog too: the build leaves fuzzy and empty entries out (English
    would show), and a fuzzy header marks the whole catalog as unreviewed."""
    with (ROOT / f"translations/ru/LC_MESSAGES/{domain}.po").open("rb") as fh:
        ru = read_po(fh, locale="ru", domain=domain)
    assert not ru.fuzzy, f"translations/ru/LC_MESSAGES/{domain}.po: the header is fuzzy"
    problems = [m.id for m in ru if m.id and (m.fuzzy or not all(
        m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert not problems, f"{domain}.po: fuzzy or untranslated: {problems}"


def test_russian_has_three_plural_forms_and_the_polite_lower_case_you():
    ru = _ru()
    assert ru.num_plurals == 3
    capital_you = re.compile(r"\b(Вы|Вас|Вам|Вами|Ваш\w*)\b")
    for message in ru:
        if not message.id:
            continue
        for text in (message.string if isinstance(message.string, tuple)
                     else (message.string,)):
            for hit in capital_you.finditer(text):
                # A capital is right only where a sentence starts.
                before = text[:hit.start()].rstrip()
                assert before == "" or before[-1] in ".!?»:", (
                    f"capital «{hit.group()}» inside a sentence: {text!r}")


# -- counts ------------------------------------------------------------------------------------

NOUN = (r"(?:characters?|days?|hours?|minutes?|seconds?|times?|reports?|corrections?|"
        r"decisions?|articles?|sections?|mails?|messages?|readers?)\b")
PLACED_COUNT = re.compile(r"%\(\w+\)[ds] " + NOUN)
WRITTEN_COUNT = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve) " + NOUN)
SAMPLE = re.compile(r"<code>.*?</code>|\"[^\"]*\"")  # notation, not prose
# Choice labels, each a whole phrase translated as one (a block's length, an age bucket):
# no count is filled into them.
LABELS = {"1 hour", "24 hours", "7 days", "30 days", "1–7 days", "7–30 days", "30–90 days",
          "over 90 days"}


def _count_problems(message_id) -> list[str]:
    """A count in a singular message: a placeholder before a noun (English "1 days",
    Russian always one form), or a number written into the text, which a constant
    then contradicts (a page saying "7 days" while the link lasts what INVITE_DAYS says)."""
    if isinstance(message_id, tuple):  # ngettext: the number is its num
        text = SAMPLE.sub("", message_id[0])
        return [f"number written into {message_id[0]!r}"] if WRITTEN_COUNT.search(text) else []
    if message_id in LABELS:
        return []
    if PLACED_COUNT.search(message_id):
        return [f"count not through ngettext: {message_id!r}"]
    if WRITTEN_COUNT.search(SAMPLE.sub("", message_id)):
        return [f"number written into {message_id!r}"]
    return []


def test_counts_go_through_ngettext_and_numbers_come_from_the_code(template_catalog):
    problems = [p for message in template_catalog if message.id
                for p in _count_problems(message.id)]
    assert not problems, ("use ngettext with the constant's value (docs/i18n.md):\n"
                          + "\n".join(problems))


def test_the_count_check_finds_what_it_looks_for():
    assert _count_problems("must be at least %(num)d characters")
    assert _count_problems("It works once, for two hours.")
    assert _count_problems("(it works once, for 7 days)")
    assert _count_problems(("At least 10 character.", "At least 10 characters."))
    assert not _count_problems(("At least %(num)d character.", "At least %(num)d characters."))
    assert not _count_problems("Reports (%(num)d)")
    assert not _count_problems("7 days")  # a choice label


# -- unmarked strings ------------------------------------------------------------------------

# Words that stay as they are in every language: the product's name, keys on the keyboard.
KEEP = {"Errata", "Enter", "Ctrl", "Esc", "CSV", "Atom", "HMAC", "URL"}
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "data-confirm",
                      "data-confirm-uncheck", "label"}
# Text inside these is code, a sample or a key, not prose.
LITERAL_ELEMENTS = {"code", "kbd", "pre", "script", "style", "samp"}
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)


def _has_words(text: str) -> bool:
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    words = re.findall(r"[^\W\d_]{2,}", text)
    return any(word not in KEEP for word in words)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.literal = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in LITERAL_ELEMENTS:
            self.literal += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _has_words(value):
                self.found.append(f'{name}="{value}"')  # reported with repr() below

    def handle_endtag(self, tag):
        if tag in LITERAL_ELEMENTS and self.literal:
            self.literal -= 1

    def handle_data(self, data):
        if not self.literal and _has_words(data):
            self.found.append(data.strip())


# A Babel date pattern ("d MMMM y") is not prose.
DATE_PATTERN = re.compile(r"^[dMyLHhmsEaczZ ,.:'/-]+$")


def _jinja_literals(source: str) -> list[str]:
    """String constants inside {{ }} / {% %} that read as words and are not an argument of
    _(), gettext(), ngettext(), a {% trans %} block, or one side of a comparison."""
    found: list[str] = []
    depth_in_gettext: list[int] = []
    depth = 0
    previous = ""
    for _lineno, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source):
        if kind == "whitespace":
            continue
        if kind == "operator" and value == "(":
            depth += 1
            if previous in ("_", "gettext", "ngettext"):
                depth_in_gettext.append(depth)
        elif kind == "operator" and value == ")":
            if depth_in_gettext and depth_in_gettext[-1] == depth:
                depth_in_gettext.pop()
            depth -= 1
        elif kind == "string" and not depth_in_gettext and previous not in ("==", "!=", "in"):
            text = ast.literal_eval(value)
            if " " in text and _has_words(text) and not DATE_PATTERN.match(text):
                found.append(text)
        previous = value
    return found


def _template_problems(path: Path) -> list[str]:
    source = path.read_text()
    # {% trans %}…{% endtrans %} blocks are marked; drop them before looking at the text.
    unmarked = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", "", source, flags=re.S)
    text = JINJA.sub("\x00", unmarked)
    problems = [f"literal in an expression: {s!r}" for s in _jinja_literals(source)]
    if path.suffix in (".html", ".xml"):
        finder = _TextFinder()
        finder.feed(text.replace("\x00", ""))
        problems += [f"text: {s!r}" for s in finder.found]
    else:
        problems += [f"text: {line.strip()!r}" for line in text.replace("\x00", "").splitlines()
                     if _has_words(line)]
    return problems


def test_no_unmarked_text_in_templates():
    problems = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in (".html", ".txt", ".xml") and path.is_file():
            problems += [f"{path.relative_to(ROOT)}: {p}" for p in _template_problems(path)]
    assert not problems, "mark these for translation (docs/i18n.md):\n" + "\n".join(problems)


MARKERS = {"_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "_l", "N_"}
# Where a string reaches a person: flashes, error pages, form fields and validators, and the
# errors of plain functions that forms and pages show.
PEOPLE_ERRORS = {"ActionError", "FilterError", "FieldErrors", "TokenProblem", "ChannelError",
                 "BadURL"}
VALIDATORS = {"DataRequired", "InputRequired", "Length", "NumberRange", "EqualTo", "AtMost",
              "Optional", "Email", "Regexp", "AnyOf", "NoneOf"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _unmarked(node: ast.AST) -> list[str]:
    """Literal prose in ``node`` that is not inside a gettext call."""
    if isinstance(node, ast.Call) and _call_name(node) in MARKERS:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if " " in node.value.strip() or node.value[:1].isupper() else []
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(node)]
    if isinstance(node, ast.Dict):
        return [s for value in node.values for s in _unmarked(value)]
    if isinstance(node, ast.IfExp):
        return _unmarked(node.body) + _unmarked(node.orelse)
    if isinstance(node, ast.BinOp):
        return _unmarked(node.left) + _unmarked(node.right)
    return []


def _python_problems(path: Path) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        candidates: list[ast.AST] = []
        if name == "flash" and node.args:
            candidates.append(node.args[0])
        elif name == "abort" and len(node.args) > 1:
            candidates.append(node.args[1])
        elif name in PEOPLE_ERRORS:
            candidates += node.args
        elif name.endswith("Field") and node.args:
            candidates.append(node.args[0])
        elif name in VALIDATORS:
            candidates += [a for a in node.args if isinstance(a, (ast.Constant, ast.JoinedStr))]
            candidates += [k.value for k in node.keywords if k.arg == "message"]
        elif name == "SelectChoice" and len(node.args) > 1:
            candidates.append(node.args[1])
        for candidate in candidates:
            problems += [f"{path.relative_to(ROOT)}:{node.lineno}: {s!r}"
                         for s in _unmarked(candidate) if _has_words(s)]
    return problems


def test_no_unmarked_text_in_python():
    problems = []
    for path in sorted(SERVICE.rglob("*.py")):
        problems += _python_problems(path)
    assert not problems, "mark these for translation (docs/i18n.md):\n" + "\n".join(problems)


def test_the_checks_find_what_they_look_for(tmp_path):
    """The two checks above fail on unmarked text (so their passing means something)."""
    page = tmp_path / "page.html"
    page.write_text('<p>{{ _("Marked") }}</p><h1>Not marked</h1>'
                    '<input placeholder="Type here"><code>errata user add</code>'
                    '{{ "A literal" if x }}{% trans %}In a trans block{% endtrans %}')
    assert _template_problems(page) == ["literal in an expression: 'A literal'",
                                        "text: 'Not marked'",
                                        "text: 'placeholder=\"Type here\"'"]
    module = tmp_path / "module.py"
    module.write_text('flash("Saved.")\nflash(_("Saved."))\nabort(404, f"No {x}")\n'
                      'raise FieldErrors({"name": "is required"})\n'
                      'f = StringField(_l("Name"), validators=[DataRequired("Give one.")])\n')
    found = [p.split(": ", 1)[1] for p in _python_problems_at(module)]
    assert found == ["'Saved.'", "\"f'No {x}'\"", "'is required'", "'Give one.'"]


def _python_problems_at(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return _python_problems(path)
    finally:
        ROOT = saved


# -- a third language ------------------------------------------------------------------------

UKRAINIAN = {
    "Log in to Errata": "Вхід до Errata",
    "Log in": "Увійти",
    "Email": "Пошта",
    "Password": "Пароль",
    "Forgot your password?": "Забули пароль?",
}


@pytest.fixture
def with_ukrainian(tmp_path) -> Path:
    """The repository's catalogs plus a throwaway ``uk`` one, as docs/i18n.md adds it."""
    src = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", src, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    catalog = Catalog(locale="uk", domain="messages")
    for english, ukrainian in UKRAINIAN.items():
        catalog.add(english, ukrainian)
    (src / "uk" / "LC_MESSAGES").mkdir(parents=True)
    with (src / "uk" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    return src


def test_a_third_language_is_one_catalog(_schema, tmp_path, with_ukrainian):
    app = create_app(base_config(_schema, str(tmp_path / "instance"),
                                 ERRATA_TRANSLATIONS_DIR=str(with_ukrainian)))
    page = app.test_client().get("/login", headers={"Accept-Language": "uk-UA,uk;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="uk">' in html
    assert "<h1>Вхід до Errata</h1>" in html and ">Увійти</button>" in html
    assert "Забули пароль?" in html
    with app.test_request_context("/"):
        from service.i18n import languages

        assert ("uk", "Українська") in languages()
