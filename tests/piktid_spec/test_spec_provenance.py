"""``quoted_in`` / ``Provenance.found_in``: how a documented rule stays tied to the sentence it quotes."""

from piktid_spec import quoted_in
from piktid_spec._provenance import documented, inferred

PAGE = "HTTPMeaning\n429Rate limit reached (15 requests per minute per user).\nSee Errors."


def test_a_table_row_matches_whatever_the_cell_spacing() -> None:
    assert quoted_in("429 Rate limit reached (15 requests per minute per user).", PAGE)


def test_an_ellipsis_elides_text_but_keeps_order() -> None:
    assert quoted_in("429 ... per user).", PAGE)
    assert not quoted_in("per user). ... 429", PAGE)


def test_a_changed_word_is_not_a_quote() -> None:
    assert not quoted_in("429 Rate limit reached (20 requests per minute per user).", PAGE)


def test_only_documented_provenance_is_found() -> None:
    assert documented("See Errors.").found_in(PAGE)
    assert not inferred("See Errors.").found_in(PAGE)
