from __future__ import annotations

from claims.matching import clean_text, compare_figures, content_terms, is_negated, numbers


def test_numbers_are_read_with_thousands_separators_scales_and_words():
    assert numbers("over 1,000 troops and 1.5 million people") == {1000.0, 1_500_000.0}
    assert numbers("fourteen people were killed") == {14.0}


def test_a_changed_figure_is_a_mismatch_but_a_missing_one_is_not():
    assert compare_figures({140.0}, {14.0}) == ([], ["14", "140"])
    assert compare_figures({140.0, 2024.0}, {140.0}) == (["140"], [])


def test_negation_is_seen_in_contractions_and_denials():
    assert is_negated(clean_text("The army didn't withdraw"))
    assert is_negated("The Kremlin denied the report")
    assert not is_negated("The army withdrew")


def test_social_post_noise_is_cleaned_before_comparing():
    cleaned = clean_text("Wow #DefundTheCBC https://t.co/x pic.twitter.com/abc — @someone")
    assert "http" not in cleaned
    assert "pic.twitter" not in cleaned
    assert "Defund The CBC" in cleaned
    assert "@someone" not in cleaned


def test_content_terms_leave_out_stopwords_and_fold_inflections():
    assert content_terms("The soldiers were killed") == {"soldier", "kill"}
