"""The page-check matcher on realistic article pages (tests/fixtures/pages/).

Each page is modelled on one CMS's markup (WordPress, 1C-Bitrix in windows-1251, Drupal, a
metered page whose rest is hidden behind a teaser) or is the shared seed article. Each has
one reported error; the tests edit the page the way newsrooms do and check what Errata says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.pagecheck.matcher import GONE, PRESENT, UNKNOWN, locate, normalize, visible_text

PAGES = Path(__file__).parent / "fixtures" / "pages"


@dataclass(frozen=True)
class Page:
    file: str
    encoding: str
    # The report, as the snippet sends it (NBSPs and curly quotes as the page has them).
    exact: str
    prefix: str
    suffix: str
    # In the HTML source: the reported sentence, the error in it and what it becomes.
    sentence: str
    error: str
    fixed: str
    first_paragraph: str  # a new paragraph is inserted before this
    context_edit: tuple[str, str]  # a small edit inside the prefix
    near_identical: str  # a paragraph much like the reported one, error included
    other_use: str  # another paragraph with the quote in a different context

    def html(self) -> str:
        return (PAGES / self.file).read_bytes().decode(self.encoding)

    def check(self, html: str):
        raw = html.encode(self.encoding)
        return locate(visible_text(raw), self.exact, self.prefix, self.suffix)


WORDPRESS = Page(
    "wordpress.html", "utf-8", exact="milion",
    prefix="The line will cost an estimated €180\u00a0",
    suffix=" and is due to open in 2029, the council’s transport committee said.",
    sentence="The line will cost an estimated &euro;180&nbsp;milion and is due to open in "
             "2029, the council&#8217;s transport committee said.",
    error="milion", fixed="million",
    first_paragraph="<p>The city council voted 31 to 12",
    context_edit=("The line will cost", "The new line will cost"),
    near_identical="<p>Under the plan approved in January, the line would cost an estimated "
                   "&euro;180 milion and open in 2029.</p>",
    other_use="<p>Readers asked why the budget table says milion: that is how the "
              "committee&#8217;s own document spells it.</p>",
)
BITRIX = Page(
    "bitrix.html", "cp1251", exact="обещственного",
    prefix="Андрей Ковалёв, подрядчик обязан сохранить проезд для\u00a0",
    suffix=" транспорта и машин экстренных служб.",
    sentence="подрядчик обязан сохранить проезд для&nbsp;обещственного транспорта "
             "и&nbsp;машин экстренных служб.",
    error="обещственного", fixed="общественного",
    first_paragraph="\tРемонт улицы Немиги начнётся",
    context_edit=("обязан сохранить", "должен сохранить"),
    near_identical="<p class=\"lead\">Ранее подрядчик обещал сохранить проезд для "
                   "обещственного транспорта на всех участках.</p>",
    other_use="<p>Слово «обещственного» в приказе горисполкома — опечатка ведомства.</p>",
)
DRUPAL = Page(
    "drupal.html", "utf-8", exact="Berger",
    prefix="mehr bezahlen müssen“, sagte Geschäftsführer Klaus ",
    suffix=" am Donnerstag. Die Preise für Gas bleiben bis Jahresende unverändert.",
    sentence="m&uuml;ssen&ldquo;, sagte Geschäftsführer Klaus Berger am Donnerstag. Die "
             "Preise für Gas bleiben bis Jahresende unverändert.",
    error="Berger", fixed="Bergner",
    first_paragraph="<p>Die Stadtwerke erhöhen",
    context_edit=("sagte Geschäftsführer", "sagte der Geschäftsführer"),
    near_identical="<p>„Wir geben nur weiter, was wir selbst mehr bezahlen müssen“, sagte "
                   "Geschäftsführer Klaus Berger schon im März.</p>",
    other_use="<p>Die Berger Straße ist wegen Bauarbeiten gesperrt.</p>",
)
PAYWALL = Page(
    "paywall.html", "utf-8", exact="then",
    prefix="When the factory is finished in 2026 it will employ 1,400 people, more ",
    suffix=" the next three employers in the county combined.",
    sentence="it will employ 1,400 people, more then the next three employers in the "
             "county combined.",
    error="more then", fixed="more than",
    first_paragraph="<p class=\"story__p\">On a cold morning",
    context_edit=("finished in 2026", "complete in 2026"),
    near_identical="<p class=\"story__p\">Once finished, the plant will employ 1,400 "
                   "workers, more then the three next employers in the region.</p>",
    other_use="<p class=\"story__p\">Back then, the county had no college at all.</p>",
)
SEED = Page(
    "seed-article.html", "utf-8", exact="collegiums",
    prefix="The joint meeting of the Foreign Ministry ",
    suffix=" of Belarus and Russia was held. However, previous to it, Minsk",
    sentence="The joint meeting of the Foreign Ministry collegiums of Belarus and Russia was "
             "held.",
    error="collegiums", fixed="collegia",
    first_paragraph="<p>The joint meeting",
    context_edit=("joint meeting of the", "joint session of the"),
    near_identical="<p>The joint meeting of Foreign Ministry collegiums of both countries "
                   "was held in Minsk last year.</p>",
    other_use="<p>Both collegiums met again in May.</p>",
)
ALL = [WORDPRESS, BITRIX, DRUPAL, PAYWALL, SEED]
ids = [p.file.split(".")[0] for p in ALL]


def fix(page: Page, html: str) -> str:
    assert html.count(page.sentence) == 1, "the reported sentence must be in the page once"
    return html.replace(page.sentence, page.sentence.replace(page.error, page.fixed))


def insert_above(page: Page, html: str) -> str:
    assert page.first_paragraph in html
    added = ("<p><strong>Update, 16:20:</strong> This article has been updated with a "
             "statement from the city.</p>\n")
    return html.replace(page.first_paragraph, added + page.first_paragraph, 1)


def reflow(html: str) -> str:
    """The same article moved to another theme: paragraphs become divs of spans, headings
    change level, entities become characters, and the source is re-wrapped mid-sentence."""
    html = re.sub(r"<p(\s[^>]*)?>", '<div class="txt-block"><span class="txt">', html)
    html = html.replace("</p>", "</span></div>")
    html = re.sub(r"<h1([^>]*)>", r"<h2\1>", html).replace("</h1>", "</h2>")
    html = html.replace("&nbsp;", "\u00a0").replace("<br />", "<br>")
    body_start = html.index("<body")
    return html[:body_start] + re.sub(r"(\w), (\w)", "\\1,\n        \\2", html[body_start:])


def add_before_footer(html: str, paragraph: str) -> str:
    """A box near the end of the page (a summary, a related-story teaser, an editor's note)."""
    at = html.rindex("</body>")
    return html[:at] + f'<aside class="box">{paragraph}</aside>\n' + html[at:]


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_unchanged_page_still_has_the_error(page):
    assert page.check(page.html()).state == PRESENT


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_fixed_error_is_gone_and_says_what_the_page_reads_now(page):
    result = page.check(fix(page, page.html()))
    assert result.state == GONE
    assert normalize(page.fixed).split()[-1] in result.now_reads


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_a_paragraph_inserted_above(page):
    html = insert_above(page, page.html())
    assert page.check(html).state == PRESENT
    assert page.check(fix(page, html)).state == GONE


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_the_article_reflowed_into_different_markup(page):
    html = page.html()
    assert reflow(html) != html
    assert page.check(reflow(html)).state == PRESENT
    assert page.check(reflow(fix(page, html))).state == GONE


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_a_near_identical_sentence_elsewhere_keeps_its_error(page):
    html = add_before_footer(page.html(), page.near_identical)
    assert page.check(html).state == PRESENT
    # Fixed where it was reported: the look-alike with the error does not hide that.
    assert page.check(fix(page, html)).state == GONE


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_the_quote_appearing_twice(page):
    html = add_before_footer(page.html(), page.other_use)
    assert page.check(html).state == PRESENT
    # Fixed where it was reported; the other use (another context) is not the reported one.
    assert page.check(fix(page, html)).state == GONE
    # Only the other use changed: the reported error is still there.
    other_fixed = page.other_use.replace(page.exact, page.fixed.split()[-1])
    assert page.check(html.replace(page.other_use, other_fixed)).state == PRESENT


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_a_small_edit_inside_the_context(page):
    old, new = page.context_edit
    html = page.html()
    assert old in html and page.error not in old
    assert page.check(html.replace(old, new)).state == PRESENT
    assert page.check(fix(page, html).replace(old, new)).state == GONE


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_edits_elsewhere_on_the_page_change_nothing(page):
    html = insert_above(page, page.html())
    html = add_before_footer(html, "<p>Correction: an earlier version misspelled a name.</p>")
    html = html.replace("<title>", "<title>UPDATED: ")
    assert page.check(html).state == PRESENT


@pytest.mark.parametrize("page", ALL, ids=ids)
def test_the_reported_sentence_deleted_is_unknown_not_gone(page):
    # Without the context Errata can't tell whether the error was fixed or the text cut.
    result = page.check(page.html().replace(page.sentence, ""))
    assert result.state == UNKNOWN


def test_visible_text_skips_what_readers_never_see():
    html = """<html><head><title>T</title><style>p{}</style>
      <script>var s = "secret script";</script></head><body>
      <p>Shown&nbsp;text &amp; more</p><template><p>template text</p></template>
      <noscript>noscript text</noscript><div hidden><p>hidden text</p></div>
      <p style="display: none">styled away</p><!-- a comment -->
      <p>Caf\u0065\u0301 colle<span>giums</span>\u00ad<br>next</p></body></html>"""
    text = visible_text(html)
    assert text == "Shown text & more Café collegiums next"
    for invisible in ("secret", "template", "noscript", "hidden", "styled", "comment"):
        assert invisible not in text


def test_entities_and_whitespace_in_the_report_itself_are_normalized():
    text = visible_text("<p>It cost €180\u00a0milion, said  the\ncommittee.</p>")
    assert locate(text, "milion", "It cost &euro;180 ".replace("&euro;", "€"),
                  ", said the committee.").state == PRESENT
    # A decomposed é in the report matches the composed one on the page (NFC).
    text = visible_text("<p>The new café opened on the harbour front yesterday morning.</p>")
    assert locate(text, "cafe\u0301", "The new ", " opened on the harbour front").state \
        == PRESENT


def test_start_offset_breaks_a_tie_between_identical_contexts():
    sentence = "The mayor said the budget was balanced and that taxes would not rise. "
    text = visible_text(f"<p>{sentence}</p><p>{'Filler words here. ' * 40}</p>"
                        f"<p>{sentence.replace('balanced', 'balaced')}</p>")
    far = text.rindex("balaced")
    result = locate(text, "balaced", "The mayor said the budget was ",
                    " and that taxes would not rise.", hint=far)
    assert result.state == PRESENT


def test_too_little_context_never_says_gone():
    text = visible_text("<p>Short note: teh end.</p>")
    assert locate(text, "the", "", "").state == UNKNOWN
    assert locate(text, "teh", "", " end").state == PRESENT
