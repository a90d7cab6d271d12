"""The forms of attribution the extractor recognises."""

from __future__ import annotations

from claims.extraction import Attribution, Extraction, extract


def spans(text: str, attribution: Attribution) -> tuple[str | None, str | None, str]:
    """(cue, source, content) as the text the offsets point at."""
    cue = text[attribution.cue.start : attribution.cue.end] if attribution.cue else None
    source = text[attribution.source.start : attribution.source.end] if attribution.source else None
    return cue, source, text[attribution.content.start : attribution.content.end]


def with_cue(result: Extraction, text: str, cue: str) -> Attribution:
    matches = [a for a in result.attributions if a.cue and text[a.cue.start : a.cue.end] == cue]
    assert len(matches) == 1, [spans(text, a) for a in result.attributions]
    return matches[0]


def actor_of(result: Extraction, attribution: Attribution) -> str | None:
    return None if attribution.actor is None else result.actors[attribution.actor].name


def test_it_reads_according_to_at_the_end_of_a_sentence():
    text = "The deal was signed on Monday, according to the Kremlin."
    attribution = with_cue(extract(text), text, "according to")
    assert attribution.kind == "according_to"
    assert spans(text, attribution) == (
        "according to",
        "the Kremlin",
        "The deal was signed on Monday",
    )


def test_it_reads_according_to_at_the_start_of_a_sentence():
    text = "According to the ministry, 40 people were evacuated."
    attribution = with_cue(extract(text), text, "According to")
    assert spans(text, attribution)[1:] == ("the ministry", "40 people were evacuated")


def test_it_reads_according_to_in_the_middle_of_a_clause():
    text = (
        "The attack, which according to Russian authorities killed over 140 people, shocked many."
    )
    attribution = with_cue(extract(text), text, "according to")
    assert spans(text, attribution)[1] == "Russian authorities"
    assert spans(text, attribution)[2].startswith("killed over 140 people")


def test_it_reads_a_subject_before_the_verb_and_content_after_that():
    text = "The minister said that the border would reopen next week."
    attribution = with_cue(extract(text), text, "said")
    assert attribution.kind == "said"
    assert spans(text, attribution)[1:] == ("The minister", "the border would reopen next week")


def test_it_reads_an_inverted_speaker_after_a_quote():
    text = '"We will not negotiate under pressure," said Putin.'
    attribution = with_cue(extract(text), text, "said")
    assert spans(text, attribution)[1:] == ("Putin", '"We will not negotiate under pressure,"')


def test_it_reads_a_speaker_between_the_quote_and_the_verb():
    text = '"The talks were productive," the statement said.'
    result = extract(text)
    attribution = with_cue(result, text, "said")
    assert spans(text, attribution)[1:] == ("the statement", '"The talks were productive,"')
    assert attribution.channel == "statement"


def test_it_handles_curly_quotes():
    text = "“The talks were productive,” the spokesman told reporters."
    attribution = with_cue(extract(text), text, "told")
    assert spans(text, attribution)[1:] == ("the spokesman", "“The talks were productive,”")


def test_it_extends_a_quote_that_runs_over_several_sentences():
    text = '"We won. The other side lost," the coach said.'
    attribution = with_cue(extract(text), text, "said")
    assert spans(text, attribution)[2] == '"We won. The other side lost,"'


def test_it_keeps_an_appositive_with_the_name():
    text = "Samantha Phillips, the city's emergency director, said the heat could last a week."
    attribution = with_cue(extract(text), text, "said")
    assert spans(text, attribution)[1] == "Samantha Phillips, the city's emergency director"


def test_it_resolves_the_statement_said_to_the_body_named_before():
    text = (
        "The leaders spoke by phone, according to the Kremlin. "
        '"The presidents discussed energy," the statement said.'
    )
    result = extract(text)
    attribution = with_cue(result, text, "said")
    assert actor_of(result, attribution) == "Kremlin"


def test_it_resolves_he_claims_to_the_person_named_before():
    text = "EU foreign policy chief Josep Borrell said the bloc faces a dilemma in Mali, where he claims Moscow's influence has increased."  # noqa: E501
    result = extract(text)
    claims = with_cue(result, text, "claims")
    assert claims.kind == "claims"
    assert spans(text, claims)[1:] == ("he", "Moscow's influence has increased")
    assert actor_of(result, claims) == "Josep Borrell"


def test_it_resolves_they_claim_to_the_group_named_before():
    text = "Mali, Niger, and neighboring Burkina Faso have turned to Russia to tackle violence which they claim French troops failed to quell."  # noqa: E501
    result = extract(text)
    attribution = with_cue(result, text, "claim")
    assert attribution.kind == "claims"
    assert actor_of(result, attribution) == "Mali, Niger and Burkina Faso"


def test_it_reads_wrote_on_x_with_the_channel_and_partial_quotes():
    text = 'Goita wrote on X (formerly Twitter) that the two leaders "agreed to cooperate."'
    result = extract(text)
    wrote = with_cue(result, text, "wrote")
    assert wrote.channel == "X"
    assert spans(text, wrote)[1:] == ("Goita", 'the two leaders "agreed to cooperate."')
    quotes = [a for a in result.attributions if a.kind == "partial_quote"]
    assert [spans(text, q)[2] for q in quotes] == ['"agreed to cooperate."']
    assert quotes[0].parent == wrote.index
    assert quotes[0].actor == wrote.actor


def test_it_reads_reported_speech_without_a_quote():
    text = "Last week, the US expressed concern about growing ties with Iran."
    attribution = with_cue(extract(text), text, "expressed")
    assert spans(text, attribution)[1:] == ("the US", "concern about growing ties with Iran")


def test_it_reads_a_pledge_as_reported_speech():
    text = "The two presidents pledged to coordinate counterterrorism efforts."
    attribution = with_cue(extract(text), text, "pledged")
    assert spans(text, attribution)[1:] == (
        "The two presidents",
        "to coordinate counterterrorism efforts",
    )


def test_it_marks_announcements():
    text = "Russia and Mali will cooperate, the two nations announced on Wednesday."
    result = extract(text)
    attribution = with_cue(result, text, "announced")
    assert attribution.kind == "announced"
    assert spans(text, attribution)[1:] == ("the two nations", "Russia and Mali will cooperate")
    assert actor_of(result, attribution) == "Russia and Mali"


def test_it_marks_unnamed_sources_as_anonymous():
    text = "The convoy was attacked near the border, officials said."
    attribution = with_cue(extract(text), text, "said")
    assert attribution.kind == "anonymous"
    assert attribution.actor is None


def test_it_marks_statements_in_the_outlets_own_voice_as_unattributed():
    text = "The convoy was ambushed near the border on Tuesday night."
    result = extract(text)
    assert [a.kind for a in result.attributions] == ["unattributed"]
    assert result.attributions[0].content.text == text


def test_it_continues_a_quote_in_the_next_sentence_with_the_same_speaker():
    text = 'The minister said the plan had failed. "Nobody wanted it."'
    result = extract(text)
    said = with_cue(result, text, "said")
    quote = next(a for a in result.attributions if a.kind == "direct_quote")
    assert quote.actor == said.actor
    assert quote.content.text == '"Nobody wanted it."'


def test_it_normalises_titles_away_from_a_persons_name():
    text = (
        "Russian President Vladimir Putin met the envoy. President Putin said talks went well. "
        "Putin said more meetings would follow."
    )
    result = extract(text)
    assert [a.name for a in result.actors] == ["Vladimir Putin"]
    assert len(result.actors[0].mentions) == 3


def test_an_opinion_paragraph_has_no_claims():
    text = "Comment: Russia builds bridges while the West is busy burning them."
    result = extract(text)
    assert result.sentences[0].kind == "opinion"
    assert result.claims == []


def test_a_question_is_not_a_claim():
    result = extract("Will the ceasefire hold through the winter?")
    assert result.sentences[0].kind == "question"
    assert result.claims == []


def test_first_person_views_are_opinion():
    result = extract("I think the ceasefire is a mistake that will cost lives.")
    assert result.sentences[0].kind == "opinion"


def test_it_continues_a_quote_over_several_sentences_with_the_same_speaker():
    text = 'The minister said the plan had failed. "Nobody wanted it." "Nobody will miss it."'
    result = extract(text)
    said = with_cue(result, text, "said")
    quotes = [a for a in result.attributions if a.kind == "direct_quote"]
    assert [q.content.text for q in quotes] == ['"Nobody wanted it."', '"Nobody will miss it."']
    assert all(q.actor == said.actor for q in quotes)
