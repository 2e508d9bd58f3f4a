"""Brands unlike the bundled demo, each with one planted root cause, for ``bench.recovery``.

A variant sets what the demo generator keeps fixed: how long the data run after the break, where in
the data the break falls, the touchpoint catalogue, how many comments customers leave and their
language (English, Arabic or Persian, typed the way people type them: articles, tatweel, diacritics,
Persian yeh, kaf and the zero-width non-joiner). From a known day one store x touchpoint breaks: its
NPS, CSAT, speed and review ratings fall, it draws a larger share of the answers, and most comments
about it in the after window name the problem in the brand's language. Every other store, and the
planted store before the break, now and then use the same problem words (except in the "new
complaint words" variant, where they are new to the brand), so a theme must be over-represented to
count. Nothing here reads ``cx.ingest.demo``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.store.schema import upgrade_schema

CATALOGUES = {
    "retail": ("Website", "In-store service", "Checkout", "Delivery", "Customer support", "Returns"),
    "quick service": ("Drive-thru", "App ordering", "Counter", "Kiosk", "Curbside pickup", "Returns"),
}
# problem kind -> the two words its comments use, per language
PROBLEMS = {
    "delay": {"en": ("late", "waited"), "ar": ("تأخير", "انتظار"), "fa": ("تاخیر", "معطل")},
    "cold": {"en": ("cold", "soggy"), "ar": ("بارد", "ذايب"), "fa": ("سرد", "وارفته")},
    "broken": {"en": ("crashed", "error"), "ar": ("تعطل", "خلل"), "fa": ("خراب", "خطا")},
    "rude": {"en": ("rude", "ignored"), "ar": ("وقح", "تجاهل"), "fa": ("بی\u200cادب", "بی\u200cاعتنا")},
    "missing": {"en": ("missing", "wrong"), "ar": ("ناقص", "غلط"), "fa": ("ناقص", "اشتباه")},
}
PROBLEM_TEMPLATES = {
    "en": ("{a} again at {tp}, really disappointed", "{tp} was {a} and {b}", "Second time it was {a}.",
           "{a}! {b}! never again", "Not happy: {a}, {b}", "{tp}: {a} this week", "so {a}", "{b}, {a}"),
    "ar": ("للأسف {a} مرة ثانية", "{a} و {b} في الطلب", "تجربة سيئة، الـ{a} مزعج", "ما عجبني {a} ابدا",
           "صار في {a} كل مرة", "{b} و{a}", "الطلب فيه {a}ٌ", "{a} {b} للأسف"),
    "fa": ("باز هم {a}، خیلی ناراحتم", "{a} و {b}", "تجربه بد: {a}", "سفارش {a} داشت", "{a} بود متاسفانه",
           "چرا همیشه {a}؟", "{b} و {a} بود"),
}  # fmt: skip
GENERIC = {  # sentiment -> comments about other things, per language
    "en": {
        "positive": ("Friendly staff and a clean shop", "Great value, will come back", "Quick and easy",
                     "Lovely people, good prices", "Always a pleasure", "Nice selection this time"),
        "neutral": ("It was fine", "Average visit", "Nothing special", "Prices are ok", "Busy but ok"),
        "negative": ("Too expensive for what it is", "Parking was a nightmare", "The shop was crowded",
                     "Prices went up again", "Music far too loud", "Not enough tills open"),
    },
    "ar": {
        "positive": ("الموظفين لطيفين والخدمة ممتازة", "المكان نظيف والأسعار مناسبة", "تجربة رائعة شكرا",
                     "خدمة سريعة وممتازة", "أنصح فيه بقوة"),
        "neutral": ("عادي", "الخدمة مقبولة", "لا بأس", "تجربة متوسطة"),
        "negative": ("الأسعار غالية جدا", "المكان مزدحم", "المواقف قليلة", "الموسيقى عالية", "العروض قليلة"),
    },
    "fa": {
        "positive": ("کارکنان مؤدب و خدمات عالی بود", "فروشگاه تمیز و قیمت‌ها مناسب", "تجربه خوبی داشتم ممنون",
                     "سریع و راحت", "پیشنهاد می‌کنم"),
        "neutral": ("معمولی بود", "بد نبود", "قابل قبول", "متوسط"),
        "negative": ("قیمت‌ها خیلی گران است", "شلوغ بود", "پارکینگ نداشت", "صدای موسیقی بلند بود",
                     "تخفیف‌ها کم است"),
    },
}  # fmt: skip
COUNTRY = {"en": "United Kingdom", "ar": "Saudi Arabia", "fa": "Iran"}
LAST_DAY = dt.date(2026, 10, 31)
PROBLEM_SHARE = 0.75  # of the broken cell's comments name the problem
LEAK = 0.08  # of every other negative comment name a problem word (any kind), unless a variant says
SHARE_RISE = 1.5  # the broken touchpoint's share of the answers grows by this factor
NEGATIVE_VOICE = 4.0  # unhappy customers comment this many times as often as the others
# kind -> (score column, centre, slope, low, high): a score is centre + slope x latent, rounded and clipped
SCALES = {"nps": ("score", 8.0, 1.8, 0, 10), "surveys": ("csat", 4.0, 0.9, 1, 5),
          "reviews": ("rating", 4.0, 0.9, 1, 5)}  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """How a brand differs: data span, days of data from the break on, catalogue, language, and the
    number of comments expected at the planted store in the after window (all sources)."""

    name: str
    months: int = 15
    after_days: int = 180
    catalogue: str = "retail"
    language: str = "en"
    after_comments: int = 60
    stores: int = 10
    responses: int = 50  # NPS answers, and survey answers, per store and month
    reviews: int = 6  # per store and month
    drop: float = 2.5  # latent shift of the broken cell, in noise SDs (about 110 NPS points)
    leak: float = LEAK  # of the other negative comments name a problem word (any kind)


VARIANTS = (
    Variant("baseline"),
    Variant("short after-window", months=10, after_days=75),
    Variant("late change", months=24, after_days=95),
    Variant("other catalogue", catalogue="quick service"),
    Variant("few comments", after_days=90, after_comments=15),
    Variant("six comments", after_days=90, after_comments=6),
    Variant("arabic", after_days=90, language="ar"),
    Variant("persian", after_days=90, language="fa"),
    Variant("new complaint words", after_days=92, leak=0.0),
)


@dataclass(frozen=True)
class Cause:
    """The planted truth: store, touchpoint, first day broken, problem kind and its two words."""

    store_id: str
    touchpoint: str
    start: dt.date
    problem: str
    words: tuple[str, str]


@dataclass(frozen=True)
class VariantBrand:
    variant: Variant
    seed: int
    cause: Cause
    frames: dict[str, pd.DataFrame]


def plant_cause(variant: Variant, seed: int) -> Cause:
    """The store, touchpoint, day (``after_days`` before the end, give or take a week) and problem
    planted for ``seed``."""
    rng = np.random.default_rng([seed, zlib.crc32(variant.name.encode())])
    touchpoint = str(rng.choice(CATALOGUES[variant.catalogue]))
    problem = str(rng.choice(list(PROBLEMS)))
    start = LAST_DAY - dt.timedelta(days=variant.after_days - 1 + int(rng.integers(-7, 8)))
    return Cause(f"S{rng.integers(1, variant.stores + 1):02d}", touchpoint, start, problem,
                 PROBLEMS[problem][variant.language])  # fmt: skip


def variant_brand(variant: Variant, seed: int) -> VariantBrand:
    """Stores, NPS, surveys, reviews and daily sales of one brand, with the cause of :func:`plant_cause`."""
    cause = plant_cause(variant, seed)
    world = _World.build(variant, cause, np.random.default_rng([seed, 1, zlib.crc32(variant.name.encode())]))
    answers = {kind: world.answers(kind) for kind in SCALES}
    world.calibrate(answers.values())
    frames = {"stores": world.stores_frame(), **{k: world.frame(k, a) for k, a in answers.items()},
              "sales": world.sales_frame()}  # fmt: skip
    return VariantBrand(variant, seed, cause, frames)


def load_variant(brand: VariantBrand, folder: Path) -> str:
    """Load ``brand`` through the importer into a new SQLite file in ``folder``; returns its URL."""
    slug = brand.variant.name.replace(" ", "_").replace("-", "_")
    path = folder / f"variant_{slug}_{brand.seed}.db"
    if path.exists():
        raise ValueError(f"{path} exists: load each brand into a folder of its own or remove the file.")
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_schema(engine)
    for kind, frame in brand.frames.items():
        options = ImportOptions(constants={"brand": f"Variant {brand.seed}"} if kind == "stores" else {})
        load_frame(engine, kind, frame, options, name=kind, reports_dir=folder)
    engine.dispose()
    return url


@dataclass
class _World:
    variant: Variant
    cause: Cause
    rng: np.random.Generator
    store_ids: list[str]
    store_effect: np.ndarray
    touchpoint_effect: np.ndarray
    weights: np.ndarray  # of the touchpoints in the answers
    first_day: dt.date
    comment_rate: float = 0.0

    @classmethod
    def build(cls, variant: Variant, cause: Cause, rng: np.random.Generator) -> _World:
        names = CATALOGUES[variant.catalogue]
        first = (pd.Timestamp(LAST_DAY.replace(day=1)) - pd.DateOffset(months=variant.months - 1)).date()
        return cls(variant, cause, rng, [f"S{i:02d}" for i in range(1, variant.stores + 1)],
                   rng.normal(0, 0.25, variant.stores), rng.normal(0, 0.2, len(names)),
                   rng.dirichlet(np.full(len(names), 8.0)), first)  # fmt: skip

    @property
    def touchpoints(self) -> tuple[str, ...]:
        return CATALOGUES[self.variant.catalogue]

    def stores_frame(self) -> pd.DataFrame:
        n = len(self.store_ids)
        return pd.DataFrame({"store_id": self.store_ids, "name": [f"Store {i}" for i in range(1, n + 1)],
                             "region": [f"Region {'ABC'[i % 3]}" for i in range(n)],
                             "city": [f"City {i % 4 + 1}" for i in range(n)],
                             "country": COUNTRY[self.variant.language]})  # fmt: skip

    def _days(self) -> np.ndarray:
        return np.arange(np.datetime64(self.first_day), np.datetime64(LAST_DAY) + 1)

    def _visits(self, per_month: float) -> tuple[np.ndarray, np.ndarray]:
        """Store index and day of every visit: Poisson counts per store and month, uniform days."""
        days = self._days()
        month = days.astype("datetime64[M]")
        stores, chosen = [], []
        for start in np.unique(month):
            counts = self.rng.poisson(per_month, len(self.store_ids))
            stores.append(np.repeat(np.arange(len(self.store_ids)), counts))
            chosen.append(self.rng.choice(days[month == start], counts.sum()))
        return np.concatenate(stores), np.concatenate(chosen)

    def answers(self, kind: str) -> dict[str, np.ndarray]:
        """Visits of one source with touchpoint, ``after`` (the planted store from the break on),
        ``broken`` (and at the planted touchpoint), score and sentiment (0 happy, 1 neutral, 2 unhappy)."""
        store, day = self._visits(self.variant.reviews if kind == "reviews" else self.variant.responses)
        after = (np.asarray(self.store_ids)[store] == self.cause.store_id) & (
            day >= np.datetime64(self.cause.start)
        )
        target = self.touchpoints.index(self.cause.touchpoint)
        lifted = self.weights.copy()
        lifted[target] *= SHARE_RISE
        touchpoint = np.where(after, self.rng.choice(lifted.size, store.size, p=lifted / lifted.sum()),
                              self.rng.choice(lifted.size, store.size, p=self.weights))  # fmt: skip
        broken = after & (touchpoint == target)
        season = 0.15 * np.sin(2 * np.pi * day.astype("datetime64[M]").astype(int) / 12)
        latent = (
            self.store_effect[store]
            + self.touchpoint_effect[touchpoint]
            + season
            - self.variant.drop * broken
        )
        latent = latent + self.rng.standard_normal(store.size)
        _, centre, slope, low, high = SCALES[kind]
        score = np.clip(np.rint(centre + slope * latent), low, high).astype(int)
        happy, neutral = (9, 7) if kind == "nps" else (4, 3)
        sentiment = np.select([score >= happy, score >= neutral], [0, 1], 2)
        return {"store": store, "day": day, "touchpoint": touchpoint, "after": after, "broken": broken,
                "latent": latent, "score": score, "sentiment": sentiment}  # fmt: skip

    def calibrate(self, answers) -> None:
        """Set the comment rate so the planted store's after window gets about ``after_comments``."""
        voice = sum(
            float(np.where(a["sentiment"][a["after"]] == 2, NEGATIVE_VOICE, 1.0).sum()) for a in answers
        )
        self.comment_rate = self.variant.after_comments / max(voice, 1.0)

    def _comments(self, a: dict) -> np.ndarray:
        """A comment (or "") per answer in the brand's language; see the module notes."""
        language, rng = self.variant.language, self.rng
        voice = np.where(a["sentiment"] == 2, NEGATIVE_VOICE, 1.0) * self.comment_rate
        out = np.full(voice.size, "", dtype=object)
        names = np.asarray(self.touchpoints, dtype=object)[a["touchpoint"]]
        for i in np.flatnonzero(rng.random(voice.size) < voice):
            kind = ("positive", "neutral", "negative")[a["sentiment"][i]]
            if a["broken"][i] and rng.random() < PROBLEM_SHARE:
                out[i] = self._problem_comment(self.cause.words, names[i])
            elif kind == "negative" and rng.random() < self.variant.leak:
                out[i] = self._problem_comment(PROBLEMS[rng.choice(list(PROBLEMS))][language], names[i])
            else:
                out[i] = str(rng.choice(GENERIC[language][kind]))
        return out

    def _problem_comment(self, words: tuple[str, str], touchpoint: str) -> str:
        template = str(self.rng.choice(PROBLEM_TEMPLATES[self.variant.language]))
        return template.format(a=words[0], b=words[1], tp=touchpoint)

    def frame(self, kind: str, a: dict) -> pd.DataFrame:
        """The import frame of one source, in time order."""
        seconds = self.rng.integers(8 * 3600, 22 * 3600, a["day"].size).astype("timedelta64[s]")
        moment = np.strings.replace(np.datetime_as_string(a["day"] + seconds, unit="s"), "T", " ")
        names = np.asarray(self.touchpoints, dtype=object)[a["touchpoint"]]
        column, text = SCALES[kind][0], self._comments(a)
        if kind == "nps":
            names[self.rng.random(names.size) < 0.1] = ""  # some answers do not say where
            columns = {"responded_at": moment, "touchpoint": names, "comment": text}
        elif kind == "surveys":
            noise = self.rng.standard_normal((2, names.size))
            speed = np.clip(np.rint(4 + 0.9 * (a["latent"] + 0.5 * noise[0])), 1, 5).astype(int)
            staff = np.clip(np.rint(4.1 + 0.5 * noise[1]), 1, 5).astype(int)
            columns = {"responded_at": moment, "touchpoint": names, "comment": text, "attr_speed": speed,
                       "attr_staff_friendliness": staff}  # fmt: skip
        else:
            columns = {"posted_at": moment, "text": text, "platform": np.full(names.size, "Google")}
        columns[column] = a["score"]
        order = np.argsort(moment, kind="stable")
        prefix, key = {
            "nps": ("N", "response_id"),
            "surveys": ("Q", "response_id"),
            "reviews": ("R", "review_id"),
        }[kind]
        frame = {key: [f"{prefix}{i:07d}" for i in range(1, order.size + 1)],
                 "store_id": np.asarray(self.store_ids)[a["store"]][order]}  # fmt: skip
        frame.update({name: np.asarray(values, dtype=object)[order] for name, values in columns.items()})
        return pd.DataFrame(frame)

    def sales_frame(self) -> pd.DataFrame:
        """Daily revenue and transactions; the planted store loses 10 % of its transactions."""
        days = self._days()
        base = 300 * np.exp(0.5 * self.store_effect)[:, None] * np.ones((1, days.size))
        base[self.store_ids.index(self.cause.store_id), days >= np.datetime64(self.cause.start)] *= 0.9
        transactions = np.rint(base * self.rng.lognormal(0, 0.08, base.shape)).astype(int)
        revenue = np.round(transactions * 12.5 * self.rng.lognormal(0, 0.03, base.shape), 2)
        store, day = np.divmod(np.arange(base.size), days.size)
        return pd.DataFrame({"store_id": np.asarray(self.store_ids)[store],
                             "date": np.datetime_as_string(days[day], unit="D"),
                             "revenue": revenue.ravel(), "transactions": transactions.ravel()})  # fmt: skip
