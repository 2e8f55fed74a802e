"""Triage on real-looking comments: the kind a social team would give them, and what is likely spam."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.triage import (
    AuthorFacts,
    Kind,
    RecentItem,
    Triage,
    fingerprint,
    recent_item,
    triage,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Q, C, P, M = Kind.QUESTION, Kind.COMPLAINT, Kind.PRAISE, Kind.COMMENT

# (text, expected kind, expected spam)
TABLE: list[tuple[str, Kind, bool]] = [
    # praise, emoji and slang included
    ("😍😍😍", P, False),
    ("🔥", P, False),
    ("🔥🔥🔥🔥", P, False),
    ("❤️", P, False),
    ("❤️❤️❤️ so good", P, False),
    ("👏👏", P, False),
    ("Love this!!", P, False),
    ("This is amazing, best bakery in town 😍", P, False),
    ("omg yesss 🙌🙌", P, False),
    ("Thank you so much for the quick help!", P, False),
    ("so good 😭😭", P, False),
    ("Das ist wunderschön", P, False),
    ("Me encanta 😍", P, False),
    ("J'adore, merci !", P, False),
    ("Amei! Parabéns pelo trabalho", P, False),
    ("What a beautiful cake!", P, False),
    ("How cute is this 😍", P, False),
    # questions
    ("How much is the large one?", Q, False),
    ("do you ship to Canada", Q, False),
    ("Do you have gluten free options", Q, False),
    ("Is there parking nearby?", Q, False),
    ("when do you open on sundays", Q, False),
    ("Where can I buy this", Q, False),
    ("Hi! What time do you close today", Q, False),
    ("@acmebakery can I order for pickup tomorrow", Q, False),
    ("Love it!! Where can I get one? 😍", Q, False),  # a question needs an answer, praise or not
    ("price?", Q, False),
    ("Any chance you'll restock the blue one", Q, False),
    ("¿Cuánto cuesta?", Q, False),
    ("Cuánto cuesta el grande", Q, False),
    ("¿Hacen envíos a México?", Q, False),
    ("Wo kann ich das kaufen?", Q, False),
    ("Hallo, gibt es das auch in blau", Q, False),
    ("Wann habt ihr morgen offen", Q, False),
    ("Combien ça coûte", Q, False),
    ("Est-ce que vous livrez à Lyon", Q, False),
    ("Quanto custa?", Q, False),
    ("Vocês entregam em Lisboa", Q, False),
    ("この色はありますか\uff1f", Q, False),  # full-width question mark
    ("Is this safe for someone with a nut allergy?", Q, False),
    # complaints
    ("Still waiting on my refund, 3 weeks now", C, False),
    ("WORST SERVICE EVER!!!", C, False),
    ("THIS IS UNACCEPTABLE. I WANT MY MONEY BACK", C, False),
    ("why is my order still not here?", C, False),  # a complaint phrased as a question
    ("Where is my order?? Paid 2 weeks ago", C, False),
    ("Never again. Cake arrived damaged and nobody answers the phone", C, False),
    ("Really disappointed with the quality this time", C, False),
    ("Oh great, another delay. Thanks a lot.", C, False),  # sarcasm
    ("Best customer service ever 🙄", C, False),  # sarcasm by emoji
    ("The cake was stale and the frosting tasted awful", C, False),
    ("I got charged twice for one order", C, False),
    ("👎👎👎", C, False),
    ("This is not good", C, False),
    ("Sold out AGAIN?! Seriously", C, False),
    ("Sigo esperando mi reembolso", C, False),
    ("Nie wieder, total enttäuscht", C, False),
    ("C'est nul, plus jamais", C, False),
    ("Péssimo atendimento, nunca mais compro", C, False),
    # plain comments
    ("ok", M, False),
    ("no", M, False),
    ("Seriously the best cake in town", P, False),
    ("Tagging my sister", M, False),
    ("@maria look!", M, False),  # tagging a friend is not spam
    ("@maria @joao", M, False),
    ("We went there last Saturday", M, False),
    ("When I saw this I remembered my grandma's kitchen", M, False),
    ("Do you accept bitcoin?", Q, False),  # one crypto word is a question, not spam
    # spam
    ("https://bit.ly/xyz", M, True),
    ("👉 https://bit.ly/xyz 👈", M, True),
    ("@a @b @c", M, True),
    ("@a @b @c @d @e @f", M, True),
    ("I made $5,000 in a week trading bitcoin with @invest_jane, DM her now", M, True),
    ("Earn $300 a day from home!! Check the link in my bio", M, True),
    ("Promote it on @shoutout_page 🔥", P, True),
    ("Crypto investment platform, contact me on WhatsApp +44 7700 900123", M, True),
    ("Congratulations, you have won an iPhone! Claim your prize at www.win-now.xyz/claim", P, True),
]


@pytest.mark.parametrize(("text", "kind", "spam"), TABLE, ids=[t[0][:40] for t in TABLE])
def test_table(text: str, kind: Kind, spam: bool) -> None:
    result = triage(text=text, received_at=NOW)
    assert (result.kind, result.spam) == (kind, spam), result
    assert bool(result.reasons) == spam  # spam always says why; the rest carries no spam reasons


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 60


def test_reasons_read_like_sentences_a_team_can_check() -> None:
    assert triage(text="https://bit.ly/xyz", received_at=NOW).reasons == ("link only",)
    assert triage(text="@a @b @c", received_at=NOW).reasons == ("only mentions (3 people tagged)",)
    complaint = triage(text="Still waiting on my refund, 3 weeks now", received_at=NOW)
    assert complaint.kind_reasons == ("complaint phrase “refund”", "complaint phrase “still waiting”")
    question = triage(text="How much is the large one?", received_at=NOW)
    assert question.kind_reasons == ("question mark", "starts like a question")
    praise = triage(text="Love this!!", received_at=NOW)
    assert praise.kind_reasons == ("positive tone (+0.70)",)
    assert praise.sentiment == pytest.approx(0.6988)


# -- the same text from several authors ---------------------------------------------------

COPY = "Amazing page! Follow me for daily giveaways and tips"


def test_the_same_text_from_five_authors_is_spam_for_each_of_them() -> None:
    recent = [
        recent_item(author_id=f"u{i}", text=COPY, received_at=NOW - timedelta(minutes=i)) for i in range(1, 5)
    ]
    result = triage(text=COPY.upper() + "!!", received_at=NOW, author=AuthorFacts(id="u0"), recent=recent)
    assert result.spam
    assert "same text from 5 authors in 10 minutes" in result.reasons


def test_copies_from_mentions_differing_only_in_who_they_tag_count_as_the_same_text() -> None:
    recent = [
        recent_item(author_id=f"u{i}", text=f"@friend{i} {COPY}", received_at=NOW - timedelta(minutes=1))
        for i in range(1, 3)
    ]
    result = triage(text=f"@someone {COPY}", received_at=NOW, author=AuthorFacts(id="u0"), recent=recent)
    assert "same text from 3 authors in 10 minutes" in result.reasons


def test_one_author_repeating_themselves_is_not_a_spam_wave() -> None:
    recent = [
        recent_item(author_id="u0", text=COPY, received_at=NOW - timedelta(minutes=i)) for i in range(5)
    ]
    assert not triage(text=COPY, received_at=NOW, author=AuthorFacts(id="u0"), recent=recent).spam


def test_copies_older_than_the_window_do_not_count() -> None:
    recent = [
        recent_item(author_id=f"u{i}", text=COPY, received_at=NOW - timedelta(minutes=11))
        for i in range(1, 5)
    ]
    assert not triage(text=COPY, received_at=NOW, author=AuthorFacts(id="u0"), recent=recent).spam


def test_many_people_writing_the_same_short_praise_is_a_viral_post_not_spam() -> None:
    for text in ("😍", "Congrats!", "Love it", "🔥🔥🔥"):
        assert fingerprint(text=text) is None
        recent = [recent_item(author_id=f"u{i}", text=text, received_at=NOW) for i in range(1, 200)]
        assert not triage(text=text, received_at=NOW, author=AuthorFacts(id="u0"), recent=recent).spam


def test_a_recent_item_rebuilt_from_a_stored_fingerprint_works_the_same() -> None:
    stored = fingerprint(text=COPY)
    recent = [RecentItem(author_id=f"u{i}", fingerprint=stored, received_at=NOW) for i in range(1, 3)]
    assert triage(text=COPY, received_at=NOW, author=AuthorFacts(id="u0"), recent=recent).spam


# -- what the platform says about the author ----------------------------------------------


def test_a_new_x_account_with_no_followers_is_likely_spam() -> None:
    author = AuthorFacts(
        id="1", platform="x", followers_count=0, account_created_at=NOW - timedelta(days=3, hours=2)
    )
    result = triage(text="Love this!!", received_at=NOW, author=author)
    assert result.spam
    assert result.kind == Kind.PRAISE
    assert result.reasons == ("new X account (3 days) with no followers",)


def test_an_old_account_without_followers_needs_a_second_signal() -> None:
    author = AuthorFacts(
        id="1", platform="x", followers_count=0, account_created_at=NOW - timedelta(days=400)
    )
    assert not triage(text="Love this!!", received_at=NOW, author=author).spam
    result = triage(text="😍😍", received_at=NOW, author=author)
    assert result.spam
    assert result.reasons == ("emoji only", "X account with no followers")


def test_a_new_account_with_followers_is_fine_for_an_ordinary_comment() -> None:
    author = AuthorFacts(id="1", platform="x", followers_count=25, account_created_at=NOW - timedelta(days=2))
    assert not triage(text="Do you ship to Canada?", received_at=NOW, author=author).spam


def test_unknown_author_facts_are_not_held_against_anyone() -> None:
    author = AuthorFacts(id="1", platform="facebook")  # Meta gives neither followers nor account age
    assert not triage(text="😍", received_at=NOW, author=author).spam


# -- hostile input ------------------------------------------------------------------------

HOSTILE = [
    "",
    "   \n\t ",
    "\x00",
    "abc\x00def?",
    "\ud800\udfff lone surrogates \udc00",
    "\u202eRTL override\u202c \u200f\u200e marks?",
    "<!channel> <@U123> <https://x.com|label> *bold* &amp;&lt;&gt;",
    "🏳️‍🌈👨‍👩‍👧‍👦🏽",
    "?" * 10_000,
    "@" * 5000,
    "lol " * 50_000,
    "How much?\n" * 20_000,
    "https://" + "a" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:20]) for t in HOSTILE])
def test_hostile_text_never_crashes(text: str) -> None:
    result = triage(text=text, received_at=NOW)
    assert isinstance(result, Triage)
    assert -1.0 <= result.sentiment <= 1.0


def test_naive_or_odd_instants_from_a_caller_do_not_crash_triage() -> None:
    naive = datetime(2026, 11, 26, 12, 0)
    author = AuthorFacts(id="1", followers_count=0, account_created_at=naive)
    recent = [RecentItem(author_id="2", fingerprint=fingerprint(text=COPY), received_at=naive)]
    assert isinstance(triage(text=COPY, received_at=NOW, author=author, recent=recent), Triage)
    aware_author = AuthorFacts(id="1", followers_count=0, account_created_at=NOW - timedelta(days=1))
    assert isinstance(triage(text=COPY, received_at=naive, author=aware_author), Triage)


# -- properties ---------------------------------------------------------------------------

authors = st.builds(
    AuthorFacts,
    id=st.text(max_size=5),
    platform=st.sampled_from(["", "x", "facebook", "instagram", "X"]),
    followers_count=st.none() | st.integers(min_value=0, max_value=10**9),
    account_created_at=st.none()
    | st.datetimes(min_value=datetime(2006, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
)
recents = st.lists(
    st.builds(
        recent_item,
        author_id=st.text(max_size=3),
        text=st.sampled_from([COPY, "x", "😍", "Check https://bit.ly/a"]) | st.text(),
        received_at=st.datetimes(
            min_value=datetime(2026, 11, 26, 11, 0),
            max_value=datetime(2026, 11, 26, 13, 0),
            timezones=st.just(UTC),
        ),
    ),
    max_size=8,
)
# Lone surrogates, NUL, bidi marks and emoji included, plus the table so the rules fire too.
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=400) | st.sampled_from(
    [t[0] for t in TABLE]
)


@settings(max_examples=300, deadline=None)
@given(text=texts, author=authors, recent=recents)
def test_triage_never_raises_and_is_deterministic(
    text: str, author: AuthorFacts, recent: list[RecentItem]
) -> None:
    first = triage(text=text, received_at=NOW, author=author, recent=recent)
    assert first == triage(text=text, received_at=NOW, author=author, recent=list(recent))
    assert first.kind in Kind
    assert -1.0 <= first.sentiment <= 1.0
    assert first.spam == bool(first.reasons)


@settings(max_examples=200, deadline=None)
@given(text=texts | st.text(st.characters(max_codepoint=127), max_size=200))
def test_fingerprint_ignores_spacing_and_ascii_case(text: str) -> None:
    assert fingerprint(text=text) == fingerprint(text="  " + text.replace(" ", "   ") + "\n")
    if text.isascii():
        assert fingerprint(text=text) == fingerprint(text=text.upper())
