"""URL normalisation (grouping key) and the Text Fragment jump link."""

import pytest

from service.ingest.links import jump_link, text_fragment
from service.ingest.urls import BadURL, normalize_origin, normalize_url, origin_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example/a", "https://news.example/a"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("http://news.example:80/a", "http://news.example/a"),
        ("http://news.example:8080/a", "http://news.example:8080/a"),
        ("https://news.example/a#section-2", "https://news.example/a"),
        ("https://news.example/a?utm_source=x&utm_medium=y&id=3", "https://news.example/a?id=3"),
        ("https://news.example/a?gclid=1&fbclid=2&yclid=3&_openstat=4", "https://news.example/a"),
        ("https://news.example/a?b=2&a=1", "https://news.example/a?a=1&b=2"),
        ("https://news.example/a/", "https://news.example/a"),
        ("https://news.example/", "https://news.example/"),
        ("https://news.example", "https://news.example/"),
        ("https://user:pw@news.example/a", "https://news.example/a"),
        # As a browser sends it: the host in Punycode, the path percent-encoded.
        ("https://новости.example/статья",
         "https://xn--b1amnebsh.example/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F"),
        # Browsers read extra slashes after the scheme as nothing: this is https://nohost/.
        ("https:///nohost", "https://nohost/"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://x.example/", "javascript:alert(1)", "https://",
                                 "https://x.example:99999/"])
def test_normalize_url_rejects(url):
    with pytest.raises(BadURL):
        normalize_url(url)


def test_origin_of_drops_default_port_only():
    assert origin_of("https://News.Example:443/x?y") == "https://news.example"
    assert origin_of("http://127.0.0.1:5000/demo") == "http://127.0.0.1:5000"


@pytest.mark.parametrize("value", ["https://x.example/path", "x.example", "https://x.example/?q"])
def test_normalize_origin_rejects_paths_and_missing_scheme(value):
    with pytest.raises(BadURL):
        normalize_origin(value)


def test_fragment_encodes_directive_syntax():
    # "-", "&" and "," are the directive's own syntax and must be percent-encoded.
    frag = text_fragment("well-known, fish & chips")
    assert frag == "text=well%2Dknown%2C%20fish%20%26%20chips"


def test_fragment_uses_whole_words_of_context():
    frag = text_fragment("collegiums", "The joint meeting of the Foreign Ministry ",
                         " of Belarus and Russia was held.")
    assert frag == "text=the%20Foreign%20Ministry-,collegiums,-of%20Belarus%20and"


def test_fragment_widens_a_mid_word_typo_to_the_word():
    # Browsers match text fragments on word boundaries only: "ie" alone would not match.
    frag = text_fragment("ie", "we will rec", "ve it tomorrow")
    assert frag == "text=we%20will-,recieve,-it%20tomorrow"


def test_fragment_cyrillic_is_utf8_percent_encoded():
    frag = text_fragment("ошибка", "Здесь была ", " в тексте")
    assert frag == ("text=%D0%97%D0%B4%D0%B5%D1%81%D1%8C%20%D0%B1%D1%8B%D0%BB%D0%B0-,"
                    "%D0%BE%D1%88%D0%B8%D0%B1%D0%BA%D0%B0,-%D0%B2%20%D1%82%D0%B5%D0%BA%D1%81%D1%82%D0%B5")


def test_fragment_long_quote_uses_start_end_form():
    quote = ("one two three four five six seven eight nine ten eleven twelve thirteen")
    frag = text_fragment(quote)
    assert frag == "text=one%20two%20three%20four,ten%20eleven%20twelve%20thirteen"


def test_jump_link_replaces_existing_fragment():
    link = jump_link("https://news.example/a?x=1#top", "typo")
    assert link == "https://news.example/a?x=1#:~:text=typo"
