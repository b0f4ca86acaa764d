"""Which reports are the same error (pure functions, no database)."""

import pytest

from service.ingest.grouping import same_spot

P, S = "The joint meeting of the Foreign Ministry ", " of Belarus and Russia was held."


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        # identical selection
        (("collegiums", P, S), ("collegiums", P, S), True),
        # one reader selected a little more: the longer quote contains the shorter
        (("collegiums", P, S), ("Ministry collegiums", "The joint meeting of the Foreign ", S),
         True),
        (("collegiums of", P, " Belarus and Russia was held."), ("collegiums", P, S), True),
        # case and whitespace differences don't matter
        (("Collegiums", P.upper(), S), ("collegiums", P, S), True),
        # a mid-word selection inside the same word
        (("ie", "we will rec", "ve it"), ("recieve", "we will ", " it"), True),
        # same words, another place on the page: the context disagrees
        (("the", "meeting of ", " Foreign"), ("the", "between ", " President"), False),
        # no overlap at all
        (("collegiums", P, S), ("Lukashenko", "Alexander ", "."), False),
        # a selection at the start of a block has no prefix: context on that side can't differ
        (("Mr.", "", " Lukashenko often"), ("Mr. Lukashenko", "", " often refers"), True),
    ],
)
def test_same_spot(a, b, same):
    assert same_spot(*a, *b) is same
    assert same_spot(*b, *a) is same
