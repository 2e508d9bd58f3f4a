"""Comment themes: which words a period's or a store's comments use more than a baseline does.

* :func:`tokenize` turns English, Arabic and Persian comments (mixed in one corpus) into word lists;
* :func:`term_counts` counts, for each word, the comments that use it (document frequency);
* :func:`fightin_words` ranks words by the log-odds ratio with an informative Dirichlet prior
  (Monroe, Colaresi & Quinn 2008, "Fightin' Words");
* :func:`leading_terms` picks the words to report: those that pass that test, or, in too few
  comments for any to pass, the most over-represented ones, flagged;
* :func:`representative_verbatims` picks short, recent comments that show each word in use.

Normalisation, applied in this order to every text (and to the stop-word lists, so they match):

1. Unicode NFKC, so Arabic presentation forms (``ﺗﺄﺧﻴﺮ``, text exported by older systems) and
   full-width Latin read as the ordinary letters; then case folding (``str.casefold``);
2. Persian affixes joined by a zero-width non-joiner (U+200C, or the joiner U+200D typed for it)
   are dropped: the plural ``‌ها`` / ``‌های`` / ``‌هایی`` and the verbal prefix ``می‌``, so
   ``سفارش‌ها`` counts as ``سفارش`` and ``می‌رسد`` as ``رسد`` (the negative ``نمی‌`` stays);
   Arabic diacritics (tashkeel U+064B-U+0652, the superscript alef U+0670) and tatweel (U+0640)
   are removed, and so are the other non-joiners and the invisible joiner, direction marks and byte
   order mark (U+200D-U+200F, U+061C, U+FEFF), so ``بی‌ادب`` is one word;
3. alef variants ``أ إ آ ٱ`` -> ``ا``; yeh and alef maqsura ``ى ي ی`` -> ``ي``; Persian kaf ``ک`` -> ``ك``;
   teh marbuta ``ة`` -> ``ه``; heh with yeh ``ۀ`` -> ``ه``; Arabic-Indic and Persian digits -> ``0-9``;
4. words are runs of Unicode letters and digits (``[^\\W_]+``); tokens without a letter (numbers) and
   one-character tokens are dropped;
5. stop words (English, Arabic including common Gulf/Levantine/Egyptian forms, Persian) are dropped;
6. a leading Arabic definite article (``ال``, and the article with an attached particle: ``وال بال كال
   فال``, and ``لل``) is stripped when at least two letters remain, so ``التوصيل``, ``والتوصيل`` and
   ``توصيل`` are one term; the stop-word check runs before and after stripping. This is the article
   step of Larkey, Ballesteros & Connell's light stemmer ("light10", 2007), without its suffix rules.
   The conjunction ``و`` on its own is not stripped: too many roots begin with it (``وجبه``, ``وصل``).

Nothing here reads the database: callers pass the comment texts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

FIGHTIN_WORDS_COLUMNS = ("term", "z", "count", "count_baseline", "log_odds")
VERBATIM_COLUMNS = ("term", "source", "date", "text")
PREFERRED_LENGTH = (20, 300)  # characters: long enough to say something, short enough to read

_TRANSLATION = str.maketrans(
    {
        **{chr(c): None for c in range(0x064B, 0x0653)},  # tashkeel: fathatan ... sukun
        "\u0670": None,  # superscript (dagger) alef
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner (Persian)
        **dict.fromkeys("\u200d\u200e\u200f\u061c\ufeff"),  # joiner, direction marks, BOM
        **dict.fromkeys("أإآٱ", "ا"),
        **dict.fromkeys("ىیي", "ي"),
        "ک": "ك",
        "ة": "ه",
        "ۀ": "ه",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)
_WORD = re.compile(r"[^\W_]+")
# Persian plural suffixes after a non-joiner (or a joiner typed for one), and the verbal prefix before one
_PERSIAN_AFFIXES = r"[\u200c\u200d](?:ها[یي]ی|ها[یي]|ها)(?![^\W_])|(?<![^\W_])م[یي][\u200c\u200d]"
_HAS_LETTER = r"[^\W\d_]"
_ARTICLE = r"^(?:وال|بال|كال|فال|ال|لل)(?=[^\W\d_]{2})"

_ENGLISH_STOP = """
a about above after again against all almost also although always am an and any anyone anything are
around as at be because been before being below between both but by can cannot could did do does
doing done down during each either else even ever every few for from further get gets getting got had
has have having he her here hers herself him himself his how however i if in into is it its itself
just least less let like made make many may me might more most much must my myself neither never no
nor not now of off often on once one only or other others our ours ourselves out over own per quite
rather really same she should since so some someone something still such than that the their theirs
them themselves then there these they this those though through thus to too under until up upon us
very via was we well were what when where whether which while who whom whose why will with within
without would yet you your yours yourself yourselves
im ive id ill youre youve dont doesnt didnt isnt arent wasnt werent wont cant couldnt shouldnt wouldnt
hasnt havent hadnt don doesn didn isn aren wasn weren won couldn shouldn wouldn hasn haven hadn ve ll
re th etc ok okay yes oh also
"""

_ARABIC_STOP = """
في من على الى إلى عن مع ان إن أن كان كانت يكون تكون لم لن لا ما ماذا لماذا كيف متى اين أين هل قد
هذا هذه هذان هاتان هؤلاء ذلك تلك اولئك هنا هناك هنالك الذي التي الذين اللذان اللتان اللواتي اللي
هو هي هم هن هما انا أنا انت أنت انتم أنتم انتن نحن انتي إياه له لها لهم لنا لي لك لكم به بها بهم
بي بك فيه فيها فيهم منه منها منهم عليه عليها عليهم عنه عنها الي عند عندي عندنا عندهم كل بعض غير
او أو ام أم ثم بل لكن ولكن لكنه حتى اذا إذا لو لولا كما مثل بين بعد قبل حول خلال ضد دون منذ تحت فوق
امام أمام وراء ايضا أيضا فقط جدا كثيرا قليلا اي أي ايه إيه كذلك هكذا حيث عندما بينما حين حينما
و ف ب ل ك يا اما أما إما الا إلا سوف ليس ليست لست كنت كنا كانوا يكونوا صار صارت اصبح أصبح
مش مو موش بس شي شيء اشي كتير كثير وش ايش إيش شو ليش ليه هيك كده كدا دا دي ده انو إنو يعني
عشان علشان لان لأن لانه لأنه والله الله تم يتم عبر لدى لدي لدينا ذات نفس كلا كلها كله جميع
اليوم امس أمس الان الآن غدا مرة مره
"""

_PERSIAN_STOP = """
و در به از که این آن را با است برای هم یک تا بود شد می نمی ها های ای اي ما من تو او شما آنها ایشان
خود هر چه چی چرا کجا کی چگونه چطور چند اگر اما ولی یا نیز هیچ همه همین همان آنجا اینجا اینکه آنکه
بر پس پیش بعد قبل زیر روی بین میان دیگر بسیار خیلی کمی فقط هنوز باید نباید شاید البته یعنی چون
زیرا وقتی هنگامی تر ترین هست هستند هستم هستیم نیست نیستند بودند بودم شده شدن شود شوند کرد کرده
کردم کردند کند کنند کنم کنید کردن دارد دارند دارم داریم داشت داشتم داشتند داشته خواهد خواهم
ام ات اش مان تان شان رو اون این‌ها اینها آن‌ها ایم اید اند بی نه آره بله چیز چیزی کسی کس
همچنین درباره طور مثل مانند توی الان حالا امروز دیروز فردا بار دفعه بودن باشد باشند باشم
"""


def _normalise_word(word: str) -> str:
    return _normalise(pd.Series([word])).iloc[0]


def _normalise(texts: pd.Series) -> pd.Series:
    """Steps 1-3 of the module notes on every text (strings in, strings out)."""
    folded = texts.str.normalize("NFKC").str.casefold()
    return folded.str.replace(_PERSIAN_AFFIXES, "", regex=True).str.translate(_TRANSLATION)


def _stop_set(*lists: str) -> frozenset[str]:
    normalised = _normalise(pd.Series([raw for text in lists for raw in text.split()], dtype=object))
    return frozenset(word for text in normalised for word in _WORD.findall(text))


STOP_WORDS = _stop_set(_ENGLISH_STOP, _ARABIC_STOP, _PERSIAN_STOP)


def tokenize(texts: pd.Series) -> pd.Series:
    """Word lists for each text, normalised for English, Arabic and Persian (see the module notes).

    Parameters
    ----------
    texts : pd.Series
        Comment texts; missing values give an empty list.

    Returns
    -------
    pd.Series
        One list of tokens per text, with the index of ``texts``; tokens keep their order.

    Examples
    --------
    >>> tokenize(pd.Series(["The DELIVERY was late!", "التوصيلُ تـأخير ٣ ساعات"])).tolist()
    [['delivery', 'late'], ['توصيل', 'تاخير', 'ساعات']]
    """
    texts = pd.Series(texts)
    lists = [list(words) if isinstance(words, list) else [] for words in _token_lists(texts)]
    return pd.Series(lists, index=texts.index, dtype=object)


def _words(texts: pd.Series) -> pd.Series:
    """Every token of ``texts`` in order, indexed by the text's position (0 .. n-1)."""
    return pd.Series(_token_lists(texts), dtype=object).explode().dropna()


def _token_lists(texts: pd.Series) -> np.ndarray:
    """The token list of each text (``nan`` for a text without tokens), each distinct text tokenised once."""
    clean = pd.Series(texts.to_numpy(dtype=object), dtype=object)
    codes, distinct = pd.factorize(clean.where(clean.notna(), "").astype(str))
    words = _normalise(pd.Series(distinct, dtype=object)).str.findall(_WORD).explode().dropna()
    words = words.astype(object)
    keep = words.str.contains(_HAS_LETTER, regex=True) & ~words.isin(STOP_WORDS)
    words = words[keep].str.replace(_ARTICLE, "", regex=True)
    words = words[(words.str.len() >= 2) & ~words.isin(STOP_WORDS)]
    if not len(words):
        return np.full(len(codes), np.nan, dtype=object)
    return words.groupby(level=0).agg(list).reindex(codes).to_numpy()


def term_counts(texts: pd.Series) -> pd.Series:
    """Number of texts that use each term (document frequency: a term counts once per text).

    Returns a Series indexed by ``term``, named ``documents``, most frequent first (ties by term).
    """
    tokens = tokenize(texts)
    once = tokens.map(lambda words: sorted(set(words))).explode().dropna()
    if once.empty:
        return pd.Series(dtype="int64", name="documents", index=pd.Index([], name="term", dtype=object))
    counts = once.value_counts()
    counts = counts.rename_axis("term").rename("documents").astype("int64")
    order = np.lexsort((counts.index.to_numpy(dtype=str), -counts.to_numpy()))
    return counts.iloc[order]


def _token_counts(texts: pd.Series) -> pd.Series:
    words = _words(pd.Series(texts))
    return words.value_counts() if len(words) else pd.Series(dtype="int64")


def fightin_words(
    target: pd.Series,
    baseline: pd.Series,
    *,
    prior_scale: float = 0.03,
    min_count: int = 5,
) -> pd.DataFrame:
    """Words over- (z > 0) and under-represented (z < 0) in ``target`` texts compared with ``baseline``.

    Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, eqs 16-22).
    With token counts y_w^i (target) and y_w^j (baseline), totals n^i and n^j, and prior
    alpha_w with alpha_0 = sum_w alpha_w:

        delta_w = log((y_w^i + alpha_w) / (n^i + alpha_0 - y_w^i - alpha_w))
                - log((y_w^j + alpha_w) / (n^j + alpha_0 - y_w^j - alpha_w))
        var(delta_w) ~ 1 / (y_w^i + alpha_w) + 1 / (y_w^j + alpha_w)
        z_w = delta_w / sqrt(var(delta_w))

    Prior. The paper's informative prior takes alpha_w proportional to the word's frequency in a
    background corpus and leaves its strength alpha_0 (a number of pseudo-tokens) to the analyst. Here
    the background is the pooled target + baseline corpus and alpha_0 is ``prior_scale`` times the pooled
    token count, so alpha_w = prior_scale * (y_w^i + y_w^j). The default 0.03 makes the prior worth 3% of
    the observed tokens: it barely moves common words, but a word seen a handful of times in one corpus
    and never in the other gets a large variance instead of an infinite log-odds, so ranking by z (never
    by delta) does not reward rare words. A weaker prior is too hard on a word new to the target (a new
    complaint): with y_w^j = 0 the variance is about 1 / alpha_w, and at 0.01 a word used 7 times in 60
    comments and never in 600 comparison comments stays at z = 1.8. In simulated corpora with no true
    difference (Zipf vocabularies of 400 words, 300-6,000 tokens, target 5-30 % of them), 0.03 keeps the
    share of words reaching z > 1.96 with at least 3 uses at 1.4-2.4 %, under the nominal 2.5 %
    (0.01: 1.8-3.6 %).

    Counts are tokens (a word used twice in one comment counts twice), as in the paper; use
    :func:`term_counts` for the number of comments that use a word.

    Parameters
    ----------
    target, baseline : pd.Series
        Comment texts of the period or store of interest, and of the comparison (e.g. all stores).
    prior_scale : float
        Prior strength as a fraction of the pooled token count (> 0).
    min_count : int
        Keep only words used at least this many times in ``target``.

    Returns
    -------
    pd.DataFrame
        Columns ``term, z, count, count_baseline, log_odds`` (``count`` is the target token count,
        ``log_odds`` is delta_w), sorted by ``z`` descending: over-represented in ``target`` first.
        Empty when either side has no tokens. ``z`` is ``nan`` when the vocabulary has a single word
        (the odds have nothing to compare against).

    References
    ----------
    Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: lexical feature selection and
    evaluation for identifying the content of political conflict. Political Analysis 16(4), 372-403.
    """
    if not np.isfinite(prior_scale) or prior_scale <= 0:
        raise ValueError(f"prior_scale must be a positive number (e.g. 0.03), got {prior_scale!r}")
    if min_count < 0:
        raise ValueError(f"min_count must be 0 or more, got {min_count!r}")
    counts_i = _token_counts(target)
    counts_j = _token_counts(baseline)
    if counts_i.empty or counts_j.empty:
        return _empty(FIGHTIN_WORDS_COLUMNS)
    vocabulary = counts_i.index.union(counts_j.index)
    y_i = counts_i.reindex(vocabulary, fill_value=0).to_numpy(dtype=float)
    y_j = counts_j.reindex(vocabulary, fill_value=0).to_numpy(dtype=float)
    delta, z = _log_odds(y_i, y_j, prior_scale)
    table = pd.DataFrame(
        {
            "term": np.asarray(vocabulary, dtype=object),
            "z": z,
            "count": y_i.astype("int64"),
            "count_baseline": y_j.astype("int64"),
            "log_odds": delta,
        }
    )
    table = table[table["count"] >= min_count]
    table = table.sort_values(["z", "term"], ascending=[False, True], na_position="last", kind="mergesort")
    return table.reset_index(drop=True)


def _log_odds(y_i: np.ndarray, y_j: np.ndarray, prior_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """delta_w and z_w of :func:`fightin_words` from the two token-count vectors over one vocabulary."""
    n_i, n_j = y_i.sum(), y_j.sum()
    alpha = prior_scale * (y_i + y_j)
    alpha_0 = alpha.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y_i + alpha) / (n_i + alpha_0 - y_i - alpha)) - np.log(
            (y_j + alpha) / (n_j + alpha_0 - y_j - alpha)
        )
        delta = np.where(np.isfinite(delta), delta, np.nan)
        z = delta / np.sqrt(1.0 / (y_i + alpha) + 1.0 / (y_j + alpha))
    return delta, z


LEADING_TERMS_COLUMNS = ("term", "z", "count", "count_baseline", "documents", "significant", "small_sample")
FALLBACK_TERMS = 5  # words shown when none passes the test


def leading_terms(
    target: pd.Series,
    baseline: pd.Series,
    *,
    min_count: int = 3,
    z_threshold: float = 1.959964,
    top: int = 10,
) -> pd.DataFrame:
    """The words to report for ``target`` against ``baseline``: those that pass the theme test or, when
    none does, the most over-represented ones, flagged so nobody reads them as a finding.

    A word passes when :func:`fightin_words` gives it z > ``z_threshold`` and ``target`` uses it at least
    ``min_count`` times (``significant``); up to ``top`` of them come back, by z. A short window or a
    quiet store may leave no word that passes although its comments name the problem: then up to
    FALLBACK_TERMS words with z > 0 come back, those used at least twice first, then by z, all with
    ``significant`` False. With no baseline tokens at all there is no comparison: the most used
    words, with z ``nan``. ``small_sample``: used fewer than ``min_count`` times.

    Parameters
    ----------
    target, baseline : pd.Series
        Comment texts of the window (or store) and of the comparison.
    min_count : int
        Uses in ``target`` a word needs to pass.
    z_threshold : float
        Log-odds z a word needs to pass (1.96: two-sided 5 %).
    top : int
        Words that pass to return at most.

    Returns
    -------
    pd.DataFrame
        Columns ``term, z, count, count_baseline, documents, significant, small_sample``: ``count`` and
        ``count_baseline`` are token counts, ``documents`` the number of ``target`` texts that use the
        word (:func:`term_counts`).

    Examples
    --------
    Two of four comments name the crash, once each: too few uses to pass, so the word comes back
    flagged.

    >>> words = leading_terms(pd.Series(["app crashed", "app crashed again", "nice staff", "ok"]),
    ...                       pd.Series(["nice staff", "good app", "ok"] * 5))
    >>> row = words.iloc[0]
    >>> row["term"], int(row["count"]), bool(row["significant"]), bool(row["small_sample"])
    ('crashed', 2, False, True)
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top!r}")
    table = fightin_words(target, baseline, min_count=1)
    if table.empty:  # no comparison (or nothing to count): the window's own counts
        counts = _token_counts(target)
        table = pd.DataFrame({"term": counts.index.astype(object), "z": np.nan,
                              "count": counts.to_numpy(dtype="int64"), "count_baseline": 0})  # fmt: skip
    passes = (table["z"] > z_threshold) & (table["count"] >= min_count)
    if passes.any():
        chosen = table.loc[passes].head(top)
    else:
        over = table.loc[(table["z"] > 0) | table["z"].isna()].assign(repeated=lambda t: t["count"] >= 2)
        chosen = over.sort_values(["repeated", "z", "count", "term"], ascending=[False, False, False, True],
                                  na_position="last", kind="mergesort").head(min(top, FALLBACK_TERMS))  # fmt: skip
    documents = term_counts(target)
    chosen = chosen.assign(documents=chosen["term"].map(documents).fillna(0).astype("int64"),
                           significant=passes.loc[chosen.index].to_numpy(dtype=bool),
                           small_sample=chosen["count"] < min_count)  # fmt: skip
    return chosen.loc[:, list(LEADING_TERMS_COLUMNS)].reset_index(drop=True)


def representative_verbatims(texts: pd.DataFrame, terms: list[str], *, per_term: int = 3) -> pd.DataFrame:
    """Up to ``per_term`` comments that use each term, to read next to the ranking.

    A comment uses a term when the term is among its tokens after :func:`tokenize` (so ``التوصيل``
    matches the term ``توصيل``); the terms go through the same normalisation. Comments of 20-300
    characters come first, then longer or shorter ones; within each group the most recent first, then
    the shortest. The same text (ignoring case and spacing) is shown at most once per term.

    Parameters
    ----------
    texts : pd.DataFrame
        Columns ``text``, ``date`` and ``source``.
    terms : list of str
        Terms in the order to report them (e.g. the top rows of :func:`fightin_words`).
    per_term : int
        Comments per term (>= 1).

    Returns
    -------
    pd.DataFrame
        Columns ``term, source, date, text``, grouped by term in the order given.
    """
    missing = [c for c in ("text", "date", "source") if c not in texts.columns]
    if missing:
        raise ValueError(f"texts needs the columns text, date and source; missing: {', '.join(missing)}")
    if per_term < 1:
        raise ValueError(f"per_term must be at least 1, got {per_term!r}")
    wanted = {}
    for term in terms:
        normal = tokenize(pd.Series([term])).iloc[0]
        key = normal[0] if normal else _normalise_word(str(term).strip())
        wanted.setdefault(key, term)
    if not wanted or texts.empty:
        return _empty(VERBATIM_COLUMNS)
    frame = texts.reset_index(drop=True)
    tokens = tokenize(frame["text"]).explode().dropna()
    hits = tokens[tokens.isin(list(wanted))]
    if hits.empty:
        return _empty(VERBATIM_COLUMNS)
    pairs = pd.DataFrame({"row": hits.index.to_numpy(), "key": hits.to_numpy()}).drop_duplicates()
    text = frame["text"].astype(str)
    length = text.str.len()
    low, high = PREFERRED_LENGTH
    rows = pairs["row"].to_numpy()
    pairs = pairs.assign(
        term=pairs["key"].map(wanted),
        order=pairs["key"].map({k: i for i, k in enumerate(wanted)}),
        outside=~length.iloc[rows].between(low, high).to_numpy(),
        when=pd.to_datetime(frame["date"].iloc[rows], errors="coerce").to_numpy(),
        length=length.iloc[rows].to_numpy(),
        same=text.iloc[rows].str.casefold().str.split().str.join(" ").to_numpy(),
        source=frame["source"].iloc[rows].to_numpy(),
        date=frame["date"].iloc[rows].to_numpy(),
        text=text.iloc[rows].to_numpy(),
    )
    pairs = pairs.sort_values(
        ["order", "outside", "when", "length", "row"],
        ascending=[True, True, False, True, True],
        na_position="last",
        kind="mergesort",
    )
    pairs = pairs.drop_duplicates(["key", "same"])
    chosen = pairs.groupby("order", sort=False).head(per_term)
    return chosen.loc[:, list(VERBATIM_COLUMNS)].reset_index(drop=True)


_EMPTY_DTYPES = {"z": "float64", "log_odds": "float64", "count": "int64", "count_baseline": "int64",
                 "documents": "int64", "significant": "bool", "small_sample": "bool"}  # fmt: skip


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, object)) for c in columns})
