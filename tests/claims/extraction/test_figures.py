"""Numbers, qualifiers and what they count."""

from __future__ import annotations

import pytest

from claims.extraction import Figure, extract
from claims.extraction.figures import parse_number


def figures_of(text: str) -> list[Figure]:
    return extract(text).figures


def only_figure(text: str) -> Figure:
    figures = figures_of(text)
    assert len(figures) == 1, [f.text for f in figures]
    return figures[0]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1,000", 1000),
        ("2.5", 2.5),
        ("12", 12),
        ("two hundred", 200),
        ("a dozen", 12),
        ("two dozen", 24),
        ("one hundred and twenty-five", 125),
        ("three thousand", 3000),
        ("thousands", 2000),
        ("tens of thousands", 20000),
    ],
)
def test_it_parses_numbers_in_digits_and_words(written, value):
    assert parse_number(written) == value


def test_it_returns_none_for_a_word_that_is_not_a_number():
    assert parse_number("bridges") is None


def test_it_reads_over_140_as_a_lower_bound():
    figure = only_figure("The attack killed over 140 people.")
    assert (figure.value, figure.lower, figure.upper) == (140, 140, None)
    assert figure.qualifier == "over"
    assert figure.text == "over 140"


def test_it_takes_the_metric_from_the_verb_that_governs_the_number():
    figure = only_figure("The attack killed over 140 people.")
    assert figure.metric == "killed"
    assert figure.subject == "people"


def test_it_marks_200_more_as_additional_and_keeps_the_counted_noun():
    first, second = figures_of("It killed over 140 people and injured 200 more.")
    assert (second.value, second.metric, second.additional) == (200, "injured", True)
    assert second.subject == "people"
    assert first.additional is False


def test_it_reads_some_as_about_and_takes_the_metric_from_the_noun():
    figure = only_figure("It allowed some 1,000 American troops and civilian contractors to stay.")
    assert (figure.value, figure.qualifier, figure.metric) == (1000, "about", "troops")
    assert figure.subject == "American troops and civilian contractors"


@pytest.mark.parametrize(
    ("phrase", "qualifier", "lower", "upper"),
    [
        ("more than 50 people", "over", 50, None),
        ("at least 50 people", "at_least", 50, None),
        ("no fewer than 50 people", "at_least", 50, None),
        ("about 50 people", "about", None, None),
        ("around 50 people", "about", None, None),
        ("nearly 50 people", "about", None, 50),
        ("up to 50 people", "up_to", None, 50),
        ("as many as 50 people", "up_to", None, 50),
        ("fewer than 50 people", "under", None, 50),
        ("50 people", "exact", 50, 50),
    ],
)
def test_it_reads_each_qualifier_into_bounds(phrase, qualifier, lower, upper):
    figure = only_figure(f"Officials said {phrase} were evacuated.")
    assert figure.qualifier == qualifier
    assert (figure.lower, figure.upper) == (lower, upper)
    assert figure.value == 50


def test_it_reads_between_x_and_y_as_a_range():
    figure = only_figure("Between 30 and 40 soldiers were wounded.")
    assert (figure.qualifier, figure.lower, figure.upper) == ("range", 30, 40)
    assert figure.metric == "wounded"


def test_it_reads_x_to_y_as_a_range():
    figure = only_figure("The blast injured 10 to 15 civilians.")
    assert (figure.qualifier, figure.lower, figure.upper) == ("range", 10, 15)
    assert figure.metric == "injured"


def test_it_reads_numbers_written_as_words():
    figure = only_figure("Two hundred people were killed in the fighting.")
    assert (figure.value, figure.metric) == (200, "killed")


def test_it_reads_a_dozen_as_twelve():
    figure = only_figure("A dozen soldiers were injured.")
    assert (figure.value, figure.metric) == (12, "injured")


def test_it_reads_vague_plurals_as_lower_bounds():
    figure = only_figure("Thousands of people fled the city.")
    assert figure.qualifier == "at_least"
    assert figure.lower == 2000


def test_it_scales_millions_and_reads_currency():
    figure = only_figure("The government pledged $2.5 million in aid.")
    assert figure.value == 2_500_000
    assert figure.unit == "USD"


def test_it_reads_percentages():
    figure = only_figure("Turnout fell to 45 percent this year.")
    assert (figure.value, figure.unit) == (45, "percent")


def test_it_takes_the_metric_from_a_participle_after_the_noun():
    figure = only_figure("Officials said 30 people were killed on Tuesday.")
    assert figure.metric == "killed"


def test_it_ignores_years_and_dates():
    assert figures_of("In 2024, on March 22, the hall was attacked.") == []


def test_it_ignores_small_counts_written_as_words_with_nothing_counted():
    assert figures_of("The two nations announced it on Wednesday.") == []


def test_figure_offsets_point_at_the_figure_text():
    text = "Rebels said nearly 3,000 fighters and 12 tanks had crossed."
    for figure in figures_of(text):
        assert text[figure.start : figure.end] == figure.text
