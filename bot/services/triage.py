"""Triage: what kind of item this is (Question, Complaint, Praise, Comment) and whether it looks like spam.

Pure and explainable: every verdict comes with short reasons a social team can read and argue with.
No database, no Slack, no clock: the caller passes the instant and whatever it knows of the author
and of recent items. The owner-keyword check stays in ingest; it is a separate flag, not a kind.

The kind, in order:
1. **Complaint** when a complaint phrase appears ("refund", "still waiting", "never again", "worst",
   and a few per language), a sarcasm marker ("oh great", "yeah right", 🙄), or the tone is clearly
   negative (VADER compound <= -0.3; all-caps shouting counts through VADER's own emphasis).
   A complaint phrased as a question ("why is my order still not here?") is a Complaint: it needs an
   answer like any question, and the team should know the customer is unhappy before it answers.
   A question with only a negative tone stays a Question unless that tone is strong (<= -0.6).
2. **Question** on a question mark (?, ¿, the full-width and Arabic ones) outside links, or an interrogative opening
   ("how much", "do you", "can I", "is there", "where", "wann", "¿cuánto", "combien", "quanto"...).
3. **Praise** when the tone is positive (compound >= 0.4), a praise phrase in Spanish, German, French
   or Portuguese appears (VADER reads English), or the text is only positive emoji.
4. **Comment** otherwise.

Spam is a separate flag. Strong signals flag it alone; weak ones need a second signal:
- strong: link only; three or more mentions and nothing else; the same text from several authors
  within minutes; a new account (<= 7 days) with no followers; a money-making offer.
- weak: only emoji; crypto or trading words; asking to move to DMs/WhatsApp/Telegram; a link with
  almost no words; an account with no followers; an account younger than 30 days.
Emoji-only text is never spam by itself (it is most of a viral post's praise), and neither is
tagging one or two friends, nor the same short "😍" or "Congrats!" from many people.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Long texts are judged by their opening: VADER is linear in length, and a 40,000-character post's
# kind shows in its first few paragraphs. Spam checks that look at the shape read the whole text.
MAX_ANALYSED_CHARS = 5000
COMPLAINT_TONE = -0.3  # "this is not good" (-0.34) is a complaint; a bare "no" (-0.30) is not
QUESTION_COMPLAINT_TONE = -0.6
PRAISE_TONE = 0.4
DUPLICATE_WINDOW = timedelta(minutes=10)
DUPLICATE_AUTHORS = 3  # this author and two others
NEW_ACCOUNT_DAYS = 7
YOUNG_ACCOUNT_DAYS = 30


class Kind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    COMMENT = "comment"


@dataclass(frozen=True)
class AuthorFacts:
    """What the platform told us about the author; None where it gives nothing (Meta gives little)."""

    id: str = ""
    platform: str = ""  # "x", "facebook", "instagram": only names the platform in reasons
    followers_count: int | None = None
    account_created_at: datetime | None = None


UNKNOWN_AUTHOR = AuthorFacts()


@dataclass(frozen=True)
class RecentItem:
    """An item received shortly before (same brand), reduced to what the duplicate rule needs.

    Build it with `recent_item(...)`, or store `fingerprint(text=...)` on the item and rebuild it from the
    database: only items with the same fingerprint matter.
    """

    author_id: str
    fingerprint: str | None
    received_at: datetime


@dataclass(frozen=True)
class Triage:
    kind: Kind
    sentiment: float  # VADER compound, -1 .. 1
    spam: bool
    reasons: tuple[str, ...]  # why it is likely spam; empty when it is not
    kind_reasons: tuple[str, ...]  # why this kind, e.g. ("question mark",), ("complaint phrase “refund”",)


# -- public functions -----------------------------------------------------------------------


def triage(
    *,
    text: str,
    received_at: datetime,
    author: AuthorFacts = UNKNOWN_AUTHOR,
    recent: Iterable[RecentItem] = (),
) -> Triage:
    """Judge one item. Never raises on any text; the same arguments always give the same answer."""
    clean = _head(text)
    score = _sentiment(clean)
    kind, kind_reasons = _kind(clean, score)
    strong, weak = _spam_signals(clean, received_at=received_at, author=author, recent=recent)
    spam = bool(strong) or len(weak) >= 2
    reasons = tuple(strong + weak) if spam else ()
    return Triage(kind=kind, sentiment=score, spam=spam, reasons=reasons, kind_reasons=kind_reasons)


def sentiment(*, text: str) -> float:
    """VADER's compound score, with emoji read the way social media uses them."""
    return _sentiment(_head(text))


def _sentiment(clean: str) -> float:
    if not clean.strip():
        return 0.0
    return round(float(_analyzer().polarity_scores(clean)["compound"]), 4)


def fingerprint(*, text: str) -> str | None:
    """A 32-character key of the text as the duplicate rule compares it, or None when the text is too
    short to mean copy-paste. Case, spacing, punctuation, emoji and @mentions are ignored (bots vary
    the tagged people).
    """
    return _fingerprint(_head(text))


def recent_item(*, author_id: str, text: str, received_at: datetime) -> RecentItem:
    return RecentItem(author_id=author_id, fingerprint=fingerprint(text=text), received_at=received_at)


# -- the kind -------------------------------------------------------------------------------

_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:ly|com|net|io|co|me|xyz|link|info|shop|site)/\S*", re.I
)
_MENTION = re.compile(r"(?<![\w@])@[\w.]{1,30}")
_QUESTION_MARK = re.compile("[?\u00bf\uff1f\u061f]")  # ? ¿, full-width and Arabic
_SENTENCE = re.compile(
    r"(?:^|[.!?¡¿\n]+)\s*(?:(?:hi|hey|hello|hola|hallo|salut|bonjour|oi|olá)\b[\s,!]*)?", re.I
)


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.I)


# Interrogatives that open a sentence. Exclamations that start the same way ("how cute!",
# "what a cake!", "¡qué bonito!", "wie schön!") are left out on purpose.
_QUESTION_OPENINGS = _words(
    # English
    r"how (?:much|many|long|often|soon|far|do|does|did|can|could|is|are|was|would|will|should|to)",
    r"what(?:'s| (?:is|are|was|were|do|does|did|can|could|will|would|should|time|size|sizes|kind|type|colou?rs?|flavou?rs?|happened|about|if))",
    r"(?:where|when)(?:'s| (?:is|are|was|were|do|does|did|can|could|will|would|should))",
    r"why|who|whom|whose|which",
    r"(?:do|does|did|can|could|would|will|is|are|was|were|have|has|should|may) (?:you|u|i|we|they|it|this|that|there|these|those|he|she|y'?all)",
    r"any (?:chance|idea|news|update)",
    # Spanish
    # (accented: without the accent "cuando", "donde" are "when", "where" in a statement)
    r"cu[aá]nto (?:cuesta|cuestan|vale|es|sale|tiempo)|cu[aá]nt[oa]s?|cuándo|dónde|cómo (?:puedo|se|hago|compro)|por qué|quién|cuál",
    # German
    r"wie (?:viel|teuer|lange|oft|kann|komme|bekomme)|wieviel|wann|wo|woher|wohin|warum|wieso|weshalb|wer|welche[rsnm]?",
    r"(?:gibt es|habt ihr|haben sie|kann ich|kann man|k[oö]nnt ihr|k[oö]nnen sie|liefert ihr|ist das|sind die|macht ihr)",
    # French
    r"combien|où|pourquoi|comment (?:faire|on|je|puis)|est-ce que|avez-vous|pouvez-vous|puis-je|y a-t-il|vous (?:livrez|faites|avez)",
    # Portuguese
    r"quanto (?:custa|é|e|sai|fica|tempo)|por que|qual|quais|quem|voc[eê]s? (?:tem|têm|entregam|enviam|fazem|vendem)|tem como",
)
# Question phrases that count anywhere in the text, not only at a sentence start.
_QUESTION_ANYWHERE = _words(
    r"how much (?:is|are|does|do|for|would|will|to)",
    r"do you (?:ship|deliver|have|sell|make|offer|take|accept|open|still)",
    r"can i|could i|where can i|is there|are there|i was wondering|wondering if|anyone know",
    r"c[oó]mo puedo|d[oó]nde (?:puedo|est[aá]|se)",
    r"wo kann ich|gibt es",
    r"est-ce que|o[uù] (?:puis|peut|acheter)",
    r"onde (?:posso|fica|compro)",
)
_COMPLAINT_PHRASES: tuple[tuple[str, str], ...] = (
    ("refund", r"(?:my|a|no|want|get|need|still|where'?s|waiting (?:on|for)) (?:my )?refund|refund me"),
    (
        "still waiting",
        r"still (?:waiting|nothing|haven'?t (?:received|heard|got)|hasn'?t (?:arrived|come|shipped)"
        r"|not (?:here|arrived|received|shipped|delivered|fixed|working)|no (?:reply|answer|response|refund|word|sign))",
    ),
    (
        "never arrived",
        r"never (?:arrived|came|received|got)|(?:hasn'?t|has not|didn'?t|did not|not) (?:arrived|received|come)",
    ),
    ("where is my order", r"where(?:'s| is) my (?:order|package|parcel|delivery|money|stuff)"),
    ("never again", r"never again|never (?:buying|ordering|coming back)"),
    ("worst", r"worst"),
    ("disappointed", r"disappoint(?:ed|ing|ment)"),
    ("unacceptable", r"unacceptable|ridiculous|outrageous|disgusting|disgrace(?:ful)?"),
    ("scam", r"scam(?:med|mers?)?|rip ?off|ripped off|fraud"),
    (
        "broken or wrong",
        r"(?:arrived|came|was|is) (?:broken|damaged|cold|stale|wrong|late)|wrong (?:order|item|size)",
    ),
    ("charged", r"charged (?:me )?twice|double charged|overcharged"),
    (
        "no answer",
        r"no (?:one|body) (?:answers|replies|responds|cares)|(?:no|zero) (?:response|reply|answer)|ignor(?:ed|ing) (?:me|my)",
    ),
    ("delay", r"(?:another|more) delay|delayed again"),
    (
        "complaint",
        r"(?:file|make|filed|made) a complaint|customer service (?:is|was) (?:terrible|awful|bad|useless)",
    ),
    ("exasperation", r"seriously(?=\s*[?!]|\s*$)|are you kidding|you'?re kidding"),
    ("food poisoning", r"food poisoning|got sick|made me sick"),
    # Spanish, German, French, Portuguese
    ("reembolso", r"(?:mi|un|el) reembolso|devuelvan? (?:mi|el) dinero"),
    ("sigo esperando", r"sigo esperando|todav[ií]a (?:no|espero)|a[uú]n no"),
    ("nunca más", r"nunca m[aá]s"),
    ("pésimo", r"p[eé]sim[oa]|el peor|la peor|estafa|decepcionad[oa]"),
    ("Rückerstattung", r"r[uü]ckerstattung|geld zur[uü]ck"),
    ("warte immer noch", r"(?:warte|warten) (?:immer )?noch|immer noch (?:nicht|kein)"),
    ("nie wieder", r"nie wieder|nie mehr"),
    ("enttäuscht", r"entt[aä]uscht|schlechteste|unversch[aä]mt|betrug|frechheit|katastrophe"),
    ("remboursement", r"remboursement|rembourse[rz]"),
    ("toujours pas", r"toujours pas|j'?attends toujours|toujours rien"),
    ("plus jamais", r"plus jamais|jamais plus"),
    ("déçu", r"d[eé][cç]u(?:e|s)?|le pire|la pire|arnaque|honteux|inadmissible"),
    ("ainda esperando", r"ainda (?:estou )?esperando|ainda n[aã]o|at[eé] agora nada"),
    ("nunca mais", r"nunca mais"),
    ("péssimo", r"p[eé]ssim[oa]|o pior|a pior|golpe|decepcionad[oa]|vergonha"),
)
_COMPLAINT = [(label, _words(pattern)) for label, pattern in _COMPLAINT_PHRASES]
_SARCASM = _words(
    r"oh (?:great|wonderful|perfect|fantastic|lovely)",
    r"just (?:great|perfect|wonderful)",
    r"yeah right",
    r"thanks for nothing",
    r"/s",
    r"sure, jan",
)
_SARCASM_EMOJI = ("🙄", "😒")
# VADER reads English; a few unmistakable praise phrases for the other languages we support.
_PRAISE_PHRASES = _words(
    r"me encanta|me encantó|incre[ií]ble|precios[oa]|buen[ií]simo|riqu[ií]simo|gracias|felicidades",
    r"super|wundersch[oö]n|lecker|danke|klasse|sehr sch[oö]n",
    r"j'adore|magnifique|g[eé]nial|trop bien|merci|superbe|d[eé]licieux|bravo",
    r"amei|adorei|lind[oa]|maravilhos[oa]|perfeit[oa]|obrigad[oa]|parab[eé]ns|del[ií]cia",
)


def _kind(text: str, score: float) -> tuple[Kind, tuple[str, ...]]:
    if not text:
        return Kind.COMMENT, ()
    no_links = _MENTION.sub(" ", _URL.sub(" ", text))
    complaint = [f"complaint phrase “{label}”" for label, pattern in _COMPLAINT if pattern.search(no_links)]
    if _SARCASM.search(no_links) or any(e in text for e in _SARCASM_EMOJI):
        complaint.append("sarcasm")
    question = _question_reasons(no_links)
    tone = f"negative tone ({score:+.2f})"
    if question:
        if score <= QUESTION_COMPLAINT_TONE:
            complaint.append(tone)
        if complaint:
            return Kind.COMPLAINT, (*complaint, *question)
        return Kind.QUESTION, tuple(question)
    if score <= COMPLAINT_TONE:
        complaint.append(tone)
    if complaint:
        return Kind.COMPLAINT, tuple(complaint)
    if score >= PRAISE_TONE:
        return Kind.PRAISE, (f"positive tone ({score:+.2f})",)
    if _PRAISE_PHRASES.search(no_links) and score > -0.05:
        return Kind.PRAISE, ("praise phrase",)
    return Kind.COMMENT, ()


def _question_reasons(text: str) -> list[str]:
    reasons = []
    if _QUESTION_MARK.search(text):
        reasons.append("question mark")
    if any(_QUESTION_OPENINGS.match(text, m.end()) for m in _SENTENCE.finditer(text)):
        reasons.append("starts like a question")
    elif _QUESTION_ANYWHERE.search(text):
        reasons.append("asks a question")
    return reasons


# -- spam -----------------------------------------------------------------------------------

_MONEY_OFFER = _words(
    r"(?:earn|earned|earning|made|make|making|profit(?:ed)?) (?:over |up to |about )?[$€£]\s?\d[\d,.]*k?",
    r"[$€£]\s?\d[\d,.]*k? (?:a|per|every) (?:day|week|month)",
    r"free (?:followers|likes|iphone|gift ?card)|(?:buy|get) (?:cheap )?followers",
    r"promote (?:it|this|your (?:page|account|post)) on",
    r"(?:check|see|visit|click) (?:the )?(?:link in )?(?:my|our) (?:bio|profile)|link in (?:my )?bio",
    r"you(?:'ve| have)? (?:been selected|won)|claim your (?:prize|reward)",
    r"sugar (?:daddy|mommy)|hot (?:singles|girls)",
)
_CRYPTO = _words(
    r"crypto(?:currency)?|bitcoin|btc|eth|usdt|forex|binary options?|nft|trading|invest(?:ment|ing)? (?:platform|manager|opportunity)|passive income"
)
_OFF_PLATFORM = _words(
    r"(?:dm|message|text|inbox|contact|write to) (?:me|her|him|us|them)",
    r"whats ?app|telegram|wickr|signal me",
    r"\+\d[\d\s-]{7,}",
)
_PLATFORM_LABELS = {"x": "X", "twitter": "X", "facebook": "Facebook", "instagram": "Instagram"}


def _spam_signals(
    head: str, *, received_at: datetime, author: AuthorFacts, recent: Iterable[RecentItem]
) -> tuple[list[str], list[str]]:
    strong: list[str] = []
    weak: list[str] = []
    links = _URL.findall(head)
    mentions = _MENTION.findall(head)
    rest = _MENTION.sub(" ", _URL.sub(" ", head))
    rest_words = re.findall(r"\w+", rest)
    only_symbols = not rest_words
    if links and only_symbols:
        strong.append("link only")
    elif links and len(rest_words) <= 3:
        weak.append("link with almost no text")
    if mentions and not links and only_symbols:
        if len(mentions) >= 3:
            strong.append(f"only mentions ({len(mentions)} people tagged)")
    elif len(set(mentions)) >= 5:
        weak.append(f"{len(set(mentions))} people tagged")
    if head.strip() and not links and not mentions and _only_emoji(head):
        weak.append("emoji only")
    if _MONEY_OFFER.search(head):
        strong.append("money-making or giveaway offer")
    if _CRYPTO.search(head):
        weak.append("crypto or trading words")
    if _OFF_PLATFORM.search(head):
        weak.append("asks to continue in private messages")
    duplicates = _duplicate_authors(head, author=author, received_at=received_at, recent=recent)
    if duplicates >= DUPLICATE_AUTHORS:
        minutes = int(DUPLICATE_WINDOW.total_seconds() // 60)
        strong.append(f"same text from {duplicates} authors in {minutes} minutes")
    _account_signals(author, received_at=received_at, strong=strong, weak=weak)
    return strong, weak


def _account_signals(
    author: AuthorFacts, *, received_at: datetime, strong: list[str], weak: list[str]
) -> None:
    label = _PLATFORM_LABELS.get(author.platform.lower(), "")
    account = f"{label} account" if label else "account"
    age_days: int | None = None
    if author.account_created_at is not None:
        age = _seconds_between(author.account_created_at, received_at)
        age_days = None if age == float("inf") else max(0, int(age // 86400))
    no_followers = author.followers_count == 0
    if age_days is not None and age_days <= NEW_ACCOUNT_DAYS and no_followers:
        strong.append(f"new {account} ({_days(age_days)}) with no followers")
    elif no_followers:
        weak.append(f"{account} with no followers")
    elif age_days is not None and age_days <= YOUNG_ACCOUNT_DAYS:
        weak.append(f"new {account} ({_days(age_days)})")


def _duplicate_authors(
    text: str, *, author: AuthorFacts, received_at: datetime, recent: Iterable[RecentItem]
) -> int:
    mine = _fingerprint(text)
    if mine is None:
        return 0
    others = {
        r.author_id
        for r in recent
        if r.fingerprint == mine
        and r.author_id != author.id
        and abs(_seconds_between(r.received_at, received_at)) <= DUPLICATE_WINDOW.total_seconds()
    }
    return 1 + len(others)


def _seconds_between(a: datetime, b: datetime) -> float:
    try:
        return (b - a).total_seconds()
    except TypeError:  # a naive and an aware instant: not comparable, so not "within minutes"
        return float("inf")


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


# -- text helpers ---------------------------------------------------------------------------


def _head(text: str) -> str:
    # Cleaning first: a run of NULs or bidi marks must not use up the analysed length.
    return _clean(text[: MAX_ANALYSED_CHARS * 2])[:MAX_ANALYSED_CHARS]


def _clean(text: str) -> str:
    """Text fit for matching: no NUL, control, lone surrogate, bidi or zero-width characters."""
    return "".join(ch for ch in unicodedata.normalize("NFC", _drop_surrogates(text)) if _keep(ch))


def _drop_surrogates(text: str) -> str:
    return text.encode("utf-8", "ignore").decode("utf-8") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _keep(ch: str) -> bool:
    if ch in "\n\t":
        return True
    category = unicodedata.category(ch)
    # Cc: NUL and other controls; Cf: RTL marks, zero-width joiners; variation selectors are Mn.
    return category not in ("Cc", "Cf", "Cs", "Co", "Cn") and not ("\ufe00" <= ch <= "\ufe0f")


def _only_emoji(text: str) -> bool:
    seen = False
    for ch in text:
        if ch.isspace():
            continue
        if unicodedata.category(ch) in ("So", "Sk") or "\U0001f3fb" <= ch <= "\U0001f3ff":
            seen = True
            continue
        return False
    return seen


@lru_cache(maxsize=4096)
def _fingerprint(text: str) -> str | None:
    clean = _clean(text)
    has_link = bool(_URL.search(clean))
    body = _MENTION.sub(" ", clean).casefold()
    words = re.findall(r"[^\W_]+", body)
    letters = sum(len(w) for w in words)
    if not has_link and (len(words) < 4 or letters < 20):
        return None  # "😍", "Congrats!", "Love it": many people write these on their own
    # A short digest: the caller may store it in an indexed column and look copies up by it.
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:32]


# Emoji as social media uses them, replacing the Unicode names VADER reads ("fire" is not bad news).
_EMOJI_WORDS = {
    "🔥": "awesome",
    "👍": "good",
    "👏": "great",
    "🙌": "great",
    "💯": "perfect",
    "🤩": "amazing",
    "🙏": "thank",
    "🥳": "celebrate",
    "👎": "bad",
    "😡": "angry",
    "🤬": "angry",
    "😤": "angry",
    "🤮": "disgusting",
    "🤢": "disgusting",
    "💩": "awful",
    "😒": "unhappy",
    "💔": "heartbroken",
    "😭": "omg",  # "so good 😭" is praise as often as grief: let the words decide
}


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()  # reads its lexicon files once: about 50 ms
    analyzer.emojis.update(_EMOJI_WORDS)
    return analyzer
