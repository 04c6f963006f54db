"""The appendix's annotated article: numbered paragraphs, every quote marked with its items' ids,
links both ways between the article and the tables' rows, in HTML, PDF and Word."""

from __future__ import annotations

from briefkit.reading.anchors import anchor


def test_a_quote_ending_in_a_folded_character_is_anchored_to_its_last_character() -> None:
    # "--" folds to one "-" when quotes are matched: the span still ends after both.
    article = "It says </script><!-- here, and x\u2014\u2014 there.\n"
    for quote in ("</script><!--", "x\u2014\u2014"):
        found = anchor(article, quote)
        assert found is not None
        assert article[found.start : found.end] == quote
