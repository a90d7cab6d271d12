"""Word lists. Reporting verbs were chosen by hand, then pruned and extended by how often
each form marks an attribution cue in the PolNeAR *train* split (kept when it does at
least about a third of the time: below that it costs more precision than it adds recall).
"""

from __future__ import annotations

from claims.extraction._regex import words

# Inflected forms of verbs that introduce what someone said, wrote,  or wants.
REPORTING_VERBS = words("""
    said says say saying told tells  telling added adds adding wrote writes writing
    asked asks asking noted notes noting announced announces announcing announce
    reported reports claimed claims claiming claim  alleges alleging allege
    stated  stating warned warns warning warn argued argues arguing argue
    explained explains explaining explain insisted insists insisting insist
    suggested suggests suggesting suggest tweeted  tweeting retweeted posted
    declared declares declaring declare acknowledged acknowledges acknowledging acknowledge
    admitted admits   conceded concedes conceding
    confirmed confirms confirming denied
    described describes describing  accused accuses accusing accuse
    criticized criticised criticizes criticizing criticize blasted blasts blasting
    slammed slams slamming lambasted assailed attacked denounced denouncing decried
    condemned condemning condemns praised praises praising hailed touted touting
    endorsed endorses endorsing backed supported opposed  rejected rejecting
    dismissed dismisses dismissing questioned questioning responded responds replied
     continued recalled recalling recalls remembered reminded reminding
    concluded concludes found finds showed shows show shown revealed reveals disclosed
    indicated indicates signaled signalled predicted predicting forecast projected
    pledged pledges pledging vowed vows vowing promised promises promising assured
    urged urges urging called calls calling cited cites citing quoted quoting
    referring referred refers mentioned mentions mentioning pointed pointing
    expressed expresses  voiced stressed emphasized emphasised emphasizing
    reiterated repeated echoed echoing remarked commented observed asserted asserting
    contends contended    thinks
    hopes hoping hoped   worried   wondered speculated
     expected mocked mocking joked complained complains lamented bemoaned
       requested proposed proposing proposes recommended
    sought seeks seeking   refused refuses refusing declined declines
    blamed blames blaming charged threatened  defended defends defending
    agreed  pleaded testified  predicts implied implying hinted hints
    boasted boasts thanked congratulated apologized characterized portrayed likened
    dubbed labeled labelled seemed seems appeared appears
    offered talked talking issued mention learned sees discuss discussing pushed praise
    seeks listed declaring stating challenged deemed nominated asserted sounded conceded
    prefer expecting accusing asks highlighted describes railed encouraged express reads
    emailed accuses shouted highlighting insisting reveal endorses referenced cautioned
    thanking remarking admits yelled derided lashed recounted unveiled mused
    """)

# Forms that are also nouns: not a cue after a determiner ("the claims", "his reports").
NOUN_LIKE_VERBS = words(
    """
    claims claim reports show shows calls call fears demands doubts worries promises
    notes estimates answers comments tweets states remarks warnings pledges vows hopes
    plans threats
    """
)
DETERMINERS = words(
    "the a an his her their its our my your these those such of any no this that new"
)

# "according to", written either way.
ACCORDING_TO = ("according to", "According to")

# Auxiliaries and adverbs allowed between a subject and its reporting verb.
VERB_PREFIX_WORDS = words(
    """
    has have had also has've would will could may might did does do was were is are
    be been being not never later previously repeatedly publicly privately recently
    reportedly already then again first once further strongly openly initially
    officially clearly flatly quickly simply still just
    """
)

PRONOUNS = words("he she they it we i you him her them who")

# Words that end a subject noun phrase when walking left from a verb.
SUBJECT_BOUNDARY_WORDS = words(
    """
    that which and but or when while because as if where after before since so than
    then though although whereas whether until unless once because yet nor for
    what how why
    """
)

ANONYMOUS_SOURCE_HEADS = words(
    """
    source sources official officials person people aide aides insider insiders
    diplomat diplomats observers analysts experts witnesses residents
    """
)

CLAIM_VERBS = words(
    "claimed claims claiming claim alleged alleges alleging allege contends contended"
)
ANNOUNCE_VERBS = words(
    "announced announces announcing announce declared declares declaring declare"
)

# Titles and descriptors dropped from a person's name ("Russian President Vladimir Putin").
TITLE_WORDS = words(
    """
    president vice prime minister chancellor secretary senator sen rep representative
    governor gov mayor general gen admiral adm colonel col dr mr mrs ms miss sir lord
    king queen prince princess chief leader spokesman spokeswoman spokesperson ambassador
    judge justice commissioner director chairman chairwoman chair ceo founder candidate
    nominee speaker pope sheikh emir interim transitional foreign policy defense defence
    interior state deputy acting former junta military head commander official
    democratic republican presumptive
    """
)

OUTLET_WORDS = words(
    """
    reuters ap afp bloomberg cnn msnbc bbc nbc abc cbs fox npr politico axios breitbart
    tass ria rt xinhua
    """
)
OUTLET_TAILS = (
    "Times",
    "Post",
    "News",
    "Journal",
    "Herald",
    "Tribune",
    "Telegraph",
    "Guardian",
    "Press",
    "Magazine",
    "Agency",
    "Gazette",
    "Wire",
)
GOVERNMENT_WORDS = words(
    """
    kremlin pentagon government authorities ministry department administration
    congress senate parliament police military army cabinet embassy white house
    commission council court
    """
)
ORGANISATION_WORDS = words(
    """
    eu nato un who imf opec committee party campaign foundation institute university
    union association organization organisation company corporation bank group agency
    inc corp
    """
)
COUNTRIES = words(
    """
    russia mali niger nigeria burkina faso ukraine china iran iraq syria israel france
    germany britain uk u.k. us u.s. usa america united states kingdom italy spain poland
    turkey india pakistan afghanistan egypt libya sudan chad algeria morocco japan korea
    mexico canada brazil cuba venezuela belarus moscow washington beijing
    """
)
COLLECTIVE_HEADS = words(
    """
    nations countries sides governments states officials sources people voters protesters
    authorities leaders members allies partners analysts experts critics supporters
    residents groups
    """
)
