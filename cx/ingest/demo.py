"""A deterministic synthetic demo brand with planted, known stories.

``generate_brand`` returns DataFrames in the canonical import formats (stores, nps, surveys, reviews,
sales, customers, transactions) plus the ground truth (``story``) that dashboards and root-cause
analyses should recover:

* an incident: one store and one touchpoint degrade from a start date (scores, complaint words in
  English and Arabic, review ratings, transactions), and stay degraded;
* a low region: a steady level gap in every score, not a change;
* a tiny store whose scores swing by chance only (a decoy);
* brand-wide seasonality (December sales peak, summer dip in scores) and busier weekends;
* customers (:mod:`cx.ingest.demo_customers`): a CRM of everyone who answers (a few signed up
  twice), answers that name their customer by e-mail, phone or loyalty id instead of the id, and
  purchases in which promoters come back more than passives and passives more than detractors, who at
  the incident's store mostly stop coming back.

``demo_goals`` and ``demo_actions`` set targets and record an action from the brand's own numbers, so
that the goals pages and the root cause's "after an action" step have something to show on first run;
``record_demo_plans`` stores them. Revenue is in ``DEMO_CURRENCY``.

Every draw comes from ``numpy.random.default_rng(seed)``: the same arguments give byte-identical frames.
The customer data have a generator of their own and only add frames and columns, so a brand without
them (``customers=False``) has every other value as it is.
Scores come from one latent satisfaction per response (store, region, touchpoint, month, weekday and
story effects plus standard normal noise) read on each scale through fixed cut points, so the story
sizes are set in the units people read (NPS points, CSAT points, % of transactions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cx.store.catalogue import DEFAULT_TOUCHPOINTS
from cx.store.records import GOAL_FIELDS, actions_for, goal_rows, insert_action, insert_goal
from cx.store.scope import Scope
from cx.store.users import add_user, list_users

FRAME_KINDS = ("stores", "nps", "surveys", "reviews", "sales", "customers", "transactions")
SURVEY_ATTRIBUTES = ("staff_friendliness", "speed", "cleanliness", "product_availability", "value_for_money")
PLATFORMS = ("Google", "Facebook", "Tripadvisor", "Trustpilot")
DEFAULT_START = date(2025, 5, 1)
DEMO_CURRENCY = "USD"  # what the demo's revenue is in (README: settings)


@dataclass(frozen=True)
class Incident:
    """A planted root cause: from ``start`` one store's experience of one touchpoint goes wrong."""

    store_id: str
    touchpoint: str
    start: date
    complaint_words_en: tuple[str, ...]
    complaint_words_ar: tuple[str, ...]
    nps_drop: float = 40.0
    csat_drop: float = 1.0
    sales_drop_pct: float = 12.0


DEFAULT_INCIDENT = Incident(
    store_id="ST007",
    touchpoint="Delivery",
    start=date(2026, 3, 1),
    complaint_words_en=("late", "cold", "missing", "waited"),
    complaint_words_ar=("تأخير", "بارد", "ناقص"),
)


@dataclass(frozen=True, eq=False)
class DemoBrand:
    """Generated import files (``frames`` in import order, see FRAME_KINDS) and their ground truth.

    ``story`` keys: brand, seed, period, incident, low_region, tiny_store, customers (each None when
    left out), new_stores (store id -> opened_on), regions, currency (of the revenue), seasonality.
    Dates are ISO strings. ``customers``: see :func:`cx.ingest.demo_customers.customer_frames`.
    """

    name: str
    frames: dict[str, pd.DataFrame]
    story: dict


# --- Organisation ---------------------------------------------------------------------------


class _City(NamedTuple):
    district: str
    name: str
    country: str
    latitude: float
    longitude: float
    weight: float
    neighbourhoods: tuple[str, ...]


# Region name, share of the stores, cities. Regions with districts list them per city ('' = none).
_REGIONS: tuple[tuple[str, float, tuple[_City, ...]], ...] = (
    (
        "Gulf",
        0.28,
        (
            _City(
                "Dubai",
                "Dubai",
                "United Arab Emirates",
                25.2048,
                55.2708,
                4,
                ("Marina", "Deira", "Al Barsha", "Jumeirah", "Downtown"),
            ),
            _City(
                "Abu Dhabi",
                "Abu Dhabi",
                "United Arab Emirates",
                24.4539,
                54.3773,
                3,
                ("Corniche", "Khalifa City", "Al Reem", "Mussafah"),
            ),
            _City(
                "Dubai",
                "Sharjah",
                "United Arab Emirates",
                25.3463,
                55.4209,
                2,
                ("Al Majaz", "Al Nahda", "Muwaileh"),
            ),
            _City(
                "Abu Dhabi", "Al Ain", "United Arab Emirates", 24.2075, 55.7447, 1, ("Al Jimi", "Town Centre")
            ),
        ),
    ),
    (
        "Levant",
        0.17,
        (
            _City(
                "", "Amman", "Jordan", 31.9539, 35.9106, 3, ("Abdoun", "Sweifieh", "Jabal Amman", "Khalda")
            ),
            _City("", "Beirut", "Lebanon", 33.8938, 35.5018, 2, ("Hamra", "Achrafieh", "Verdun")),
            _City("", "Irbid", "Jordan", 32.5556, 35.8500, 1, ("University Street", "Al Hashmi")),
        ),
    ),
    (
        "Arabia",
        0.22,
        (
            _City(
                "Central",
                "Riyadh",
                "Saudi Arabia",
                24.7136,
                46.6753,
                4,
                ("Olaya", "Al Malqa", "Al Nakheel", "Al Yasmin", "Al Sulimaniyah", "Hittin"),
            ),
            _City("West", "Jeddah", "Saudi Arabia", 21.4858, 39.1925, 3, ("Al Hamra", "Al Rawdah", "Obhur")),
            _City("West", "Medina", "Saudi Arabia", 24.5247, 39.5692, 1, ("Quba", "Al Aziziyah")),
        ),
    ),
    (
        "Europe",
        0.20,
        (
            _City(
                "UK & Ireland",
                "London",
                "United Kingdom",
                51.5074,
                -0.1278,
                3,
                ("Canary Wharf", "Kensington", "Shoreditch", "Brixton"),
            ),
            _City(
                "Continental",
                "Paris",
                "France",
                48.8566,
                2.3522,
                2,
                ("Le Marais", "La Défense", "Montparnasse"),
            ),
            _City(
                "Continental",
                "Berlin",
                "Germany",
                52.5200,
                13.4050,
                2,
                ("Mitte", "Kreuzberg", "Charlottenburg"),
            ),
            _City(
                "UK & Ireland", "Manchester", "United Kingdom", 53.4808, -2.2426, 1, ("Deansgate", "Didsbury")
            ),
            _City("Continental", "Madrid", "Spain", 40.4168, -3.7038, 1, ("Salamanca", "Chamberí")),
        ),
    ),
    (
        "North Africa",
        0.13,
        (
            _City("", "Cairo", "Egypt", 30.0444, 31.2357, 3, ("Zamalek", "Heliopolis", "New Cairo", "Maadi")),
            _City("", "Alexandria", "Egypt", 31.2001, 29.9187, 1, ("Smouha", "San Stefano")),
            _City("", "Casablanca", "Morocco", 33.5731, -7.5898, 1, ("Maarif", "Anfa")),
            _City("", "Tunis", "Tunisia", 36.8065, 10.1815, 1, ("Lac 2", "La Marsa")),
        ),
    ),
)
_ARABIC_COUNTRIES = frozenset(
    {"United Arab Emirates", "Jordan", "Lebanon", "Saudi Arabia", "Egypt", "Morocco", "Tunisia"}
)
# Relative chance of an Arabic comment in a store of an Arabic-speaking country vs elsewhere.
_ARABIC_WEIGHT = {True: 1.0, False: 0.25}

_RESPONSE_VOLUME = {"flagship": 1.5, "mall": 1.05, "express": 0.75}
_DAILY_TRANSACTIONS = {"flagship": 1500.0, "mall": 950.0, "express": 520.0}
_TICKET = {"flagship": 41.0, "mall": 34.0, "express": 19.0}
_TINY_SALES_FACTOR = 0.4
_NEW_STORE_RAMP_DAYS = 56
_TINY_REVIEWS = (0, 2)
_PLATFORM_MIX = np.array([0.62, 0.18, 0.12, 0.08])

# --- Patterns -----------------------------------------------------------------------------

# Monday .. Sunday: relative traffic (responses and transactions); busier days score a little lower.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_TRAFFIC = np.array([0.90, 0.90, 0.95, 1.00, 1.12, 1.25, 1.10])
_BUSY_DAY_EFFECT = -0.25
# January .. December: sales index, and latent score effect (summer heat and holidays, December rush).
_MONTH_SALES = np.array([0.92, 0.90, 0.97, 1.00, 1.00, 0.96, 0.92, 0.93, 0.98, 1.00, 1.08, 1.28])
_MONTH_SCORE = np.array([0.0, 0.0, 0.0, 0.0, 0.0, -0.08, -0.15, -0.12, 0.0, 0.0, 0.0, -0.05])
_YEARLY_GROWTH = 0.04
_RESPONSE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 6, 7, 8, 7, 6, 6, 7, 8, 9, 9, 8, 6, 4, 2], float)

# Per touchpoint: share of survey/NPS responses, share of reviews about it, latent score effect.
_TOUCHPOINT_PROFILE: dict[str, tuple[float, float, float]] = {
    "Advertising": (0.04, 0.02, 0.05),
    "Social media": (0.04, 0.02, 0.00),
    "Website": (0.07, 0.05, 0.05),
    "Mobile app": (0.08, 0.06, 0.08),
    "Phone": (0.05, 0.04, -0.15),
    "In-store service": (0.18, 0.30, 0.12),
    "Checkout": (0.15, 0.18, -0.05),
    "Delivery": (0.18, 0.14, -0.05),
    "Customer support": (0.08, 0.07, -0.12),
    "Returns": (0.06, 0.06, -0.20),
    "Loyalty program": (0.07, 0.06, 0.10),
}
TOUCHPOINTS = tuple(name for name, _, _ in DEFAULT_TOUCHPOINTS)
_RESPONSE_MIX = np.array([_TOUCHPOINT_PROFILE[name][0] for name in TOUCHPOINTS])
_REVIEW_MIX = np.array([_TOUCHPOINT_PROFILE[name][1] for name in TOUCHPOINTS])
_TOUCHPOINT_EFFECT = np.array([_TOUCHPOINT_PROFILE[name][2] for name in TOUCHPOINTS])

# Attribute: latent offset, touchpoints it is asked about (elsewhere it is mostly left empty).
_ATTRIBUTE_PROFILE: dict[str, tuple[float, frozenset[str] | None]] = {
    "staff_friendliness": (
        0.15,
        frozenset({"In-store service", "Checkout", "Delivery", "Phone", "Customer support", "Returns"}),
    ),
    "speed": (-0.10, None),
    "cleanliness": (0.10, frozenset({"In-store service", "Checkout", "Returns"})),
    "product_availability": (
        -0.15,
        frozenset({"In-store service", "Website", "Mobile app", "Delivery", "Advertising"}),
    ),
    "value_for_money": (-0.25, None),
}

_BASE_LATENT = 0.08
_OTHER_REGION_SPREAD = 0.06
_STORE_SPREAD = 0.07
_NPS_TOUCHPOINT_BLANK = 0.12
_CUSTOMER_BLANK = 0.2
_CES_BLANK = 0.35
_ATTRIBUTE_BLANK = (0.12, 0.85)  # asked about / not asked about the touchpoint
_NPS_COMMENT_RATE = (0.42, 0.35, 0.65)  # by sentiment: positive, neutral, negative
_SURVEY_COMMENT_RATE = (0.3, 0.3, 0.6)
# Once the incident starts, this share of the incident store's responses and reviews is about its
# touchpoint on top of the usual mix: unhappy customers answer and post more.
_INCIDENT_RESPONSE_SHARE = 0.25
_INCIDENT_REVIEW_SHARE = 0.45
_INCIDENT_WORDING = 0.9  # share of its non-positive comments that name the complaint words
_BACKGROUND_WORDING = 0.03  # share of negative comments on that touchpoint elsewhere that do too


class _Scale(NamedTuple):
    """Reads a latent value ``u`` as ``clip(rint(offset + slope * u), low, high)``."""

    offset: float
    slope: float
    low: int
    high: int

    def read(self, latent: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(self.offset + self.slope * latent), self.low, self.high).astype(np.int64)

    def probabilities(self, mu: float) -> np.ndarray:
        """Chance of each level ``low..high`` when ``u ~ Normal(mu, 1)``."""
        cuts = (np.arange(self.low + 1, self.high + 1) - 0.5 - self.offset) / self.slope - mu
        below = np.array([0.5 * (1 + math.erf(cut / math.sqrt(2))) for cut in cuts])
        return np.diff(np.concatenate([[0.0], below, [1.0]]))


_NPS_SCALE = _Scale(8.6, 1.94, 0, 10)
_CSAT_SCALE = _Scale(4.23, 0.87, 1, 5)
_CES_SCALE = _Scale(5.5, 1.25, 1, 7)
_ATTRIBUTE_SCALE = _Scale(3.95, 0.95, 1, 5)
_REVIEW_SCALE = _Scale(4.43, 1.39, 1, 5)


def _expected_nps(mu: float) -> float:
    p = _NPS_SCALE.probabilities(mu)
    return 100 * (p[9:].sum() - p[:7].sum())


def _expected_mean(scale: _Scale, mu: float) -> float:
    return float(np.arange(scale.low, scale.high + 1) @ scale.probabilities(mu))


def _latent_shift(measure, mu: float, drop: float, what: str) -> float:
    """Latent shift that lowers ``measure`` (a function of the latent mean) by ``drop`` at ``mu``."""
    reference = measure(mu)
    low, high = 0.0, 8.0
    if reference - measure(mu - high) < drop:
        raise ValueError(f"{what}={drop} is larger than the scale allows here; use a smaller value")
    for _ in range(60):
        middle = (low + high) / 2
        if reference - measure(mu - middle) < drop:
            low = middle
        else:
            high = middle
    return (low + high) / 2


# --- Wording ------------------------------------------------------------------------------

# Touchpoint: (positive, neutral, negative) phrases. Background wording avoids the default complaint
# words, so those appear only where the incident plants them (and at a rare background rate).
_PHRASES_EN: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Advertising": (
        (
            "The weekend offer was exactly as advertised.",
            "Saw the flyer promotion and prices matched the shelf.",
            "Great campaign, it is what brought me in.",
        ),
        (
            "Saw the ad, the offer was fine but nothing special.",
            "The promotion was ok, a few products were excluded.",
        ),
        (
            "The advertised discount did not apply at the till.",
            "Misleading promotion, the offer products were not on the shelf.",
            "The ad promised prices the shelf labels did not match.",
        ),
    ),
    "Social media": (
        (
            "Quick and friendly reply on Instagram.",
            "Love their posts, the recipes are great.",
            "They answered my message on Facebook within minutes.",
        ),
        ("I follow them online, the posts are fine.", "Got a reply on Instagram after a day, it was ok."),
        (
            "Messaged them on Instagram and never got a reply.",
            "Complaints on their page are simply ignored.",
            "Rude reply to my question on Facebook.",
        ),
    ),
    "Website": (
        (
            "The website is easy to use and the search works well.",
            "Ordering online was quick and simple.",
            "Clear product pages with accurate prices.",
        ),
        ("The website does the job but it is a bit slow.", "Site is ok, the filters could be better."),
        (
            "The website crashed at payment twice.",
            "Prices online differ from the store.",
            "The site is slow and keeps logging me out.",
        ),
    ),
    "Mobile app": (
        (
            "The app is fast and the digital coupons are handy.",
            "Love the app, reordering takes seconds.",
            "Smooth app, scan and go works perfectly.",
        ),
        ("The app works, but it should remember my list.", "App is fine, a few bugs now and then."),
        (
            "The app keeps crashing at payment.",
            "Coupons in the app never apply.",
            "The app update broke the login, very frustrating.",
        ),
    ),
    "Phone": (
        (
            "Called the store and got a helpful answer straight away.",
            "Friendly person on the phone, sorted everything.",
            "They picked up quickly and checked the stock for me.",
        ),
        (
            "Got through on the phone eventually, the answer was fine.",
            "Phone line was busy at first, then ok.",
        ),
        (
            "Kept on hold for twenty minutes.",
            "Nobody answers the phone at this branch.",
            "Transferred three times and still on hold.",
        ),
    ),
    "In-store service": (
        (
            "Staff were friendly and helpful.",
            "An employee walked me to the aisle I needed, lovely service.",
            "Clean store, tidy shelves and smiling staff.",
        ),
        ("Service was ok, the staff were busy.", "The store was fine, nothing special."),
        (
            "Could not find anyone to help on the floor.",
            "Staff were rude and uninterested.",
            "Empty shelves and nobody to ask.",
        ),
    ),
    "Checkout": (
        (
            "Checkout was quick with plenty of tills open.",
            "Fast checkout and a friendly cashier.",
            "Self-checkout worked smoothly.",
        ),
        ("The queue was a bit long but it moved.", "Checkout was fine, only two tills open."),
        (
            "Long queue at checkout with only one till open.",
            "The queue took forever and self-checkout was broken.",
            "The cashier overcharged me and the queue was huge.",
        ),
    ),
    "Delivery": (
        (
            "Delivery arrived on time and everything was fresh.",
            "The driver was polite and the order was complete.",
            "Fast delivery, well packed.",
        ),
        (
            "Delivery was fine, the time slot is a bit wide.",
            "Order came within the slot, a couple of substitutions.",
        ),
        (
            "Delivery came outside the slot and the driver was rude.",
            "Products were damaged in the bags.",
            "Wrong products delivered and substitutions I did not ask for.",
        ),
    ),
    "Customer support": (
        (
            "Support solved my problem in one chat.",
            "Helpful support team, the refund came quickly.",
            "The support advisor was patient and clear.",
        ),
        ("Support answered, it took a couple of days.", "The chat was ok, had to explain twice."),
        (
            "Support never replied to my email.",
            "Chat support gave me copy-paste answers.",
            "Opened three tickets and still no solution.",
        ),
    ),
    "Returns": (
        (
            "Returning a product was quick and easy.",
            "The refund was processed on the spot.",
            "No questions asked at the returns desk, great.",
        ),
        ("The return was fine, they needed the receipt.", "Returns desk was slow but it worked."),
        (
            "They refused my return without a receipt.",
            "The refund took weeks to appear.",
            "The returns desk was closed again.",
        ),
    ),
    "Loyalty program": (
        (
            "Points add up quickly and the rewards are worth it.",
            "Love the member prices.",
            "The birthday voucher was a nice touch.",
        ),
        ("Loyalty points are ok, the rewards are small.", "Member prices are fine, nothing exciting."),
        (
            "My points disappeared from the account.",
            "Member prices did not scan at the till.",
            "The rewards are not worth the effort anymore.",
        ),
    ),
}
_GENERAL_EN = (
    (
        "Great selection and good prices.",
        "Always a pleasant visit.",
        "Fresh bakery and deli, will come back.",
        "Best supermarket in the area.",
    ),
    ("Decent store overall.", "Prices are a bit high but the quality is good."),
    ("Prices keep going up.", "The store was dirty and the shelves untidy.", "Not coming back."),
)
_PHRASES_AR: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Advertising": (
        (
            "العرض المعلن كان كما هو موصوف تماماً.",
            "الأسعار في الإعلان مطابقة للأسعار على الرفوف.",
            "الحملة الإعلانية جميلة وهي سبب زيارتي.",
        ),
        ("العرض في الإعلان مقبول لكنه ليس مميزاً.",),
        ("الخصم المعلن لم يُطبّق عند الدفع.", "إعلان مضلل، منتجات العرض غير موجودة على الرفوف."),
    ),
    "Social media": (
        ("ردّوا على رسالتي في إنستغرام بسرعة ولطف.", "منشوراتهم مفيدة والوصفات رائعة."),
        ("صفحتهم عادية والمنشورات لا بأس بها.",),
        ("أرسلت رسالة على إنستغرام ولم يرد أحد.", "يتجاهلون الشكاوى على صفحتهم."),
    ),
    "Website": (
        ("الموقع سهل الاستخدام والبحث ممتاز.", "الطلب عبر الموقع سريع وبسيط."),
        ("الموقع يؤدي الغرض لكنه بطيء قليلاً.",),
        ("الموقع توقف عند الدفع مرتين.", "الأسعار على الموقع تختلف عن أسعار المتجر."),
    ),
    "Mobile app": (
        ("التطبيق سريع والكوبونات الرقمية مفيدة جداً.", "التطبيق ممتاز وإعادة الطلب سهلة."),
        ("التطبيق جيد لكن فيه بعض الأخطاء أحياناً.",),
        ("التطبيق يتعطل باستمرار عند الدفع.", "الكوبونات في التطبيق لا تعمل أبداً."),
    ),
    "Phone": (
        ("اتصلت بالفرع وحصلت على إجابة مفيدة فوراً.", "الموظف على الهاتف كان لطيفاً ومتعاوناً."),
        ("رد عليّ أحد بعد فترة والإجابة مقبولة.",),
        ("تركوني على الانتظار في الهاتف عشرين دقيقة.", "لا أحد يرد على هاتف هذا الفرع."),
    ),
    "In-store service": (
        ("الموظفون ودودون ومتعاونون.", "المتجر نظيف والرفوف مرتبة والموظفون مبتسمون."),
        ("الخدمة مقبولة لكن الموظفين كانوا مشغولين.",),
        ("لم أجد أي موظف يساعدني.", "الموظفون غير مهتمين وتعاملهم سيئ."),
    ),
    "Checkout": (
        ("الدفع كان سريعاً والكاشير لطيف.", "صناديق دفع كثيرة مفتوحة ولا يوجد طابور."),
        ("الطابور طويل قليلاً لكنه يتحرك.",),
        ("طابور طويل جداً وكاشير واحد فقط.", "الكاشير أخطأ في الحساب والطابور طويل."),
    ),
    "Delivery": (
        ("وصل الطلب في موعده وكل شيء طازج.", "المندوب محترم والطلب كامل."),
        ("التوصيل مقبول مع بعض البدائل.",),
        (
            "وصل الطلب خارج الموعد المحدد والمندوب غير محترم.",
            "بعض المنتجات وصلت تالفة.",
            "وصلتني منتجات خاطئة.",
        ),
    ),
    "Customer support": (
        ("خدمة العملاء حلّت مشكلتي بسرعة.", "فريق الدعم متعاون واسترجعت المبلغ بسرعة."),
        ("ردّوا عليّ بعد يومين والحل مقبول.",),
        ("لم يرد أحد على بريدي الإلكتروني.", "فتحت ثلاث شكاوى ولا يوجد حل."),
    ),
    "Returns": (
        ("إرجاع المنتج كان سهلاً وسريعاً.", "استرجعت المبلغ فوراً."),
        ("الإرجاع مقبول لكنهم طلبوا الفاتورة.",),
        ("رفضوا الإرجاع بدون فاتورة.", "استرجاع المبلغ استغرق أسابيع."),
    ),
    "Loyalty program": (
        ("النقاط تتجمع بسرعة والمكافآت تستحق.", "أسعار الأعضاء ممتازة."),
        ("برنامج الولاء مقبول لكن المكافآت قليلة.",),
        ("نقاطي اختفت من الحساب.", "أسعار الأعضاء لم تُطبّق عند الدفع."),
    ),
}
_GENERAL_AR = (
    ("تشكيلة رائعة وأسعار جيدة.", "أفضل سوبرماركت في المنطقة.", "المخبز والأجبان طازجة، سأعود بالتأكيد."),
    ("المتجر جيد بشكل عام.", "الأسعار مرتفعة قليلاً لكن الجودة جيدة."),
    ("الأسعار ترتفع باستمرار.", "المتجر غير نظيف والرفوف فوضوية.", "لن أعود مرة أخرى."),
)
# How a complaint names the touchpoint: English noun phrase, Arabic noun after "تجربة" (experience).
_TOUCHPOINT_WORDS = {
    "Advertising": ("the advertising", "الإعلانات"),
    "Social media": ("their social media", "وسائل التواصل الاجتماعي"),
    "Website": ("the website", "الموقع الإلكتروني"),
    "Mobile app": ("the app", "التطبيق"),
    "Phone": ("phone service", "الاتصال الهاتفي"),
    "In-store service": ("service in the store", "الخدمة داخل المتجر"),
    "Checkout": ("checkout", "الدفع عند الكاشير"),
    "Delivery": ("delivery", "التوصيل"),
    "Customer support": ("customer support", "خدمة العملاء"),
    "Returns": ("returns", "الإرجاع"),
    "Loyalty program": ("the loyalty program", "برنامج الولاء"),
}
_COMPLAINTS_EN = (
    "{Tp} has really slipped here: {w1}, {w2}.",
    "Not the first time with {tp}: {w1} and {w2}.",
    "Complained about {tp} twice now ({w1}, {w2}) and nothing changes.",
    "Same problems again: {w1}, {w2}. {Tp} at this branch used to be good.",
)
_COMPLAINTS_AR = (
    "تجربة {tp} سيئة جداً هذه الأيام: {w1} و{w2}.",
    "ليست المرة الأولى، {w1} و{w2}. تجربة {tp} في هذا الفرع تراجعت كثيراً.",
    "اشتكيت أكثر من مرة بخصوص {tp} ({w1}، {w2}) ولا شيء يتغير.",
    "{w1} مرة أخرى! لم تعد تجربة {tp} كما كانت.",
)


def _complaints(templates: tuple[str, ...], touchpoint: str, words: tuple[str, ...]) -> tuple[str, ...]:
    """Every complaint sentence for ``touchpoint`` naming two different ``words``."""
    pairs = [(a, b) for a in words for b in words if a != b]
    return tuple(
        template.format(tp=touchpoint, Tp=touchpoint[:1].upper() + touchpoint[1:], w1=a, w2=b)
        for template in templates
        for a, b in pairs
    )


# --- The generator ------------------------------------------------------------------------


@dataclass(frozen=True)
class _World:
    """Everything the per-source generators share: the store layout, effects and the story."""

    rng: np.random.Generator
    stores: pd.DataFrame
    store_latent: np.ndarray  # base + region + store effect
    volume: np.ndarray  # relative responses per month
    arabic: np.ndarray  # chance that a comment is in Arabic
    opened: np.ndarray  # datetime64[D]
    city: np.ndarray  # city index, for customer pools
    month_starts: np.ndarray  # datetime64[D], one more than months
    tiny: int | None
    tiny_responses: tuple[int, int]
    incident: Incident | None
    incident_store: int | None
    incident_touchpoint: int | None
    incident_nps_shift: float  # latent drop of the incident's NPS responses (0 without one)
    incident_csat_shift: float  # ... of its survey responses and reviews
    customer_offsets: np.ndarray
    customer_pools: np.ndarray

    def touchpoints(
        self, store: np.ndarray, day: np.ndarray, mix: np.ndarray, incident_share: float
    ) -> np.ndarray:
        """Touchpoint index per row from ``mix``; more rows are about the incident's once it starts."""
        touchpoint = self.rng.choice(len(TOUCHPOINTS), store.size, p=mix)
        if self.incident is not None:
            affected = (store == self.incident_store) & (day >= np.datetime64(self.incident.start, "D"))
            touchpoint[affected & (self.rng.random(store.size) < incident_share)] = self.incident_touchpoint
        return touchpoint

    def incident_rows(self, store: np.ndarray, touchpoint: np.ndarray, day: np.ndarray) -> np.ndarray:
        if self.incident is None:
            return np.zeros(store.size, bool)
        start = np.datetime64(self.incident.start, "D")
        return (store == self.incident_store) & (touchpoint == self.incident_touchpoint) & (day >= start)


def generate_brand(
    seed: int = 7,
    *,
    name: str = "Oasis Market",
    n_stores: int = 40,
    n_regions: int = 5,
    start: date = DEFAULT_START,
    months: int = 18,
    incident: Incident | None = DEFAULT_INCIDENT,
    low_region: str | None = "Levant",
    low_region_gap: float = 12.0,
    tiny_store: str | None = "ST040",
    tiny_store_responses: tuple[int, int] = (3, 6),
    new_stores: int = 2,
    arabic_share: float = 0.15,
    responses_per_store_month: int = 60,
    reviews_per_store_month: int = 9,
    customers: bool = False,
) -> DemoBrand:
    """Generate a brand: ``n_stores`` stores in ``n_regions`` regions over ``months`` months from ``start``.

    Story arguments (``None`` leaves the story out): ``incident`` (see Incident), ``low_region`` whose
    NPS sits ``low_region_gap`` points below the others throughout, ``tiny_store`` with only
    ``tiny_store_responses`` (min, max) NPS and survey responses a month. ``new_stores`` stores open
    during the period. ``responses_per_store_month`` is the average NPS responses (and survey responses)
    of a store in a month, ``reviews_per_store_month`` the average reviews, ``arabic_share`` the share of
    comments and reviews written in Arabic. ``customers`` adds the CRM, the customers' keys in the
    answers (email, phone, loyalty_id) and the transactions (the demo's take about a second to make and
    a few seconds to load, so brands made for other purposes leave them out).
    """
    _check_arguments(
        n_stores,
        n_regions,
        start,
        months,
        responses_per_store_month,
        reviews_per_store_month,
        tiny_store_responses,
    )
    rng = np.random.default_rng(seed)
    month_starts = _month_starts(start, months)
    end = (month_starts[-1] - 1).astype(date)
    stores, region, city, countries = _layout(n_stores, n_regions)
    regions = [region_name for region_name, _, _ in _REGIONS[:n_regions]]
    tiny, incident_store = _story_stores(stores, tiny_store, incident)
    _check_stories(
        incident, start, end, low_region, regions, low_region_gap, tiny, incident_store, arabic_share
    )

    if tiny is not None:
        stores.loc[tiny, "format"] = "express"
    formats = stores["format"].to_numpy()
    store_latent, store_effect = _store_effects(rng, region, regions, low_region, low_region_gap, tiny)
    opened, opening = _open_stores(rng, stores, month_starts, new_stores, (tiny, incident_store))
    volume, expected = _volumes(rng, formats, tiny, opened, month_starts)
    arabic = _arabic_chance(countries, expected, arabic_share)
    pools = np.maximum(30, np.rint(np.bincount(city, expected * 0.9 * responses_per_store_month))).astype(int)
    incident_touchpoint, nps_shift, csat_shift = _incident_shifts(incident, store_latent, incident_store)

    world = _World(
        rng=rng,
        stores=stores,
        store_latent=store_latent,
        volume=volume,
        arabic=arabic,
        opened=opened,
        city=city,
        month_starts=month_starts,
        tiny=tiny,
        tiny_responses=tiny_store_responses,
        incident=incident,
        incident_store=incident_store,
        incident_touchpoint=incident_touchpoint,
        incident_nps_shift=nps_shift,
        incident_csat_shift=csat_shift,
        customer_offsets=np.r_[0, np.cumsum(pools)[:-1]],
        customer_pools=pools,
    )
    frames, people = _frames(world, store_effect, responses_per_store_month, reviews_per_store_month)
    story = _story(name, seed, world, end, regions, low_region, low_region_gap, opening)
    story["customers"] = None
    if customers:
        from cx.ingest.demo_customers import customer_frames  # it builds on this module's world

        added, story["customers"] = customer_frames(world, seed, frames, people)
        frames |= added
    return DemoBrand(name=name, frames=frames, story=story)


def _month_starts(start: date, months: int) -> np.ndarray:
    """First day (datetime64[D]) of each month from ``start``, and of the month after the last."""
    return np.arange(np.datetime64(start, "M"), np.datetime64(start, "M") + months + 1).astype(
        "datetime64[D]"
    )


def _story_stores(
    stores: pd.DataFrame, tiny_store: str | None, incident: Incident | None
) -> tuple[int | None, int | None]:
    """Row indices of the tiny store and of the incident's store (None for a story left out)."""
    store_ids = stores["store_id"].tolist()
    tiny = _story_store(tiny_store, store_ids, "tiny_store")
    incident_store = (
        None if incident is None else _story_store(incident.store_id, store_ids, "incident.store_id")
    )
    return tiny, incident_store


def _store_effects(
    rng: np.random.Generator,
    region: np.ndarray,
    regions: list[str],
    low_region: str | None,
    low_region_gap: float,
    tiny: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Latent satisfaction of each store (base + region + store effect) and the store effect alone.

    Store effects are centred within each region, which keeps the region levels (and the low region's
    gap); the tiny store's is 0.
    """
    region_effect = rng.uniform(-_OTHER_REGION_SPREAD, _OTHER_REGION_SPREAD, len(regions))
    if low_region is not None:
        low = regions.index(low_region)
        others = np.delete(region_effect, low).mean()
        gap = _latent_shift(_expected_nps, _BASE_LATENT + others, low_region_gap, "low_region_gap")
        region_effect[low] = others - gap
    store_effect = rng.normal(0, _STORE_SPREAD, region.size)
    store_effect -= (np.bincount(region, store_effect) / np.bincount(region))[region]  # keep region levels
    if tiny is not None:
        store_effect[tiny] = 0.0
    return _BASE_LATENT + region_effect[region] + store_effect, store_effect


def _open_stores(
    rng: np.random.Generator,
    stores: pd.DataFrame,
    month_starts: np.ndarray,
    new_stores: int,
    story_stores: tuple[int | None, int | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Opening date (datetime64[D]) of every store, and the indices of the stores opening in the period.

    Sets ``opened_on`` and jitters the coordinates in ``stores``. Flagships and the story stores
    (tiny, incident) are open throughout.
    """
    n_stores = len(stores)
    formats = stores["format"].to_numpy()
    opened_days = rng.integers(365 * 2, 365 * 14, n_stores)
    opened = month_starts[0] - opened_days
    eligible = [i for i in range(n_stores) if formats[i] != "flagship" and i not in story_stores]
    if not 0 <= new_stores <= len(eligible):
        raise ValueError(
            f"new_stores must be between 0 and {len(eligible)} for this layout, got {new_stores}"
        )
    period_days = int((month_starts[-1] - month_starts[0]).astype(np.int64))
    opening = np.sort(rng.choice(eligible, new_stores, replace=False)).astype(int)
    opened[opening] = month_starts[0] + rng.integers(60, max(61, period_days - 180), new_stores)
    stores["opened_on"] = np.datetime_as_string(opened, unit="D")
    jitter = rng.uniform(-0.04, 0.04, (n_stores, 2))
    stores["latitude"] = (stores["latitude"] + jitter[:, 0]).round(5)
    stores["longitude"] = (stores["longitude"] + jitter[:, 1]).round(5)
    return opened, opening


def _volumes(
    rng: np.random.Generator,
    formats: np.ndarray,
    tiny: int | None,
    opened: np.ndarray,
    month_starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Relative responses per month of each store (mean 1 over the regular stores) and over the period."""
    volume = np.array([_RESPONSE_VOLUME[f] for f in formats]) * rng.lognormal(0, 0.15, formats.size)
    regular = np.ones(formats.size, bool)
    if tiny is not None:
        regular[tiny] = False
    volume /= volume[regular].mean()
    months = month_starts.size - 1
    months_open = np.clip(
        (month_starts[-1] - np.maximum(opened, month_starts[0])).astype(float) / 30.44, 0, months
    )
    return volume, volume * months_open


def _arabic_chance(countries: list[str], expected: np.ndarray, arabic_share: float) -> np.ndarray:
    """Per store, the chance a comment is in Arabic, so that ``arabic_share`` of all comments are."""
    is_arabic = np.array([c in _ARABIC_COUNTRIES for c in countries])
    weight = np.array([_ARABIC_WEIGHT[a] for a in is_arabic])
    arabic = arabic_share * weight * expected.sum() / (weight * expected).sum()
    if arabic.max() > 1:
        most = arabic_share / arabic.max()
        raise ValueError(
            f"arabic_share={arabic_share} is more than this layout supports; use at most {most:.2f}"
        )
    return arabic


def _incident_shifts(
    incident: Incident | None, store_latent: np.ndarray, incident_store: int | None
) -> tuple[int | None, float, float]:
    """The incident's touchpoint index and the latent drops that give its NPS and CSAT drops."""
    if incident is None:
        return None, 0.0, 0.0
    touchpoint = TOUCHPOINTS.index(incident.touchpoint)
    mu = store_latent[incident_store] + _TOUCHPOINT_EFFECT[touchpoint]
    nps_shift = _latent_shift(_expected_nps, mu, incident.nps_drop, "incident.nps_drop")
    csat_shift = _latent_shift(
        lambda m: _expected_mean(_CSAT_SCALE, m), mu, incident.csat_drop, "incident.csat_drop"
    )
    return touchpoint, nps_shift, csat_shift


def _frames(
    world: _World, store_effect: np.ndarray, responses_per_store_month: int, reviews_per_store_month: int
) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """The import files up to sales in import order (FRAME_KINDS), drawn from the world's generator in
    that order, and the customer number of who gave each NPS and survey answer."""
    nps, nps_people = _nps_frame(world, responses_per_store_month)
    surveys, survey_people = _survey_frame(world, responses_per_store_month)
    frames = {
        "stores": world.stores,
        "nps": nps,
        "surveys": surveys,
        "reviews": _review_frame(world, reviews_per_store_month),
        "sales": _sales_frame(world, store_effect),
    }
    return frames, {"nps": nps_people, "surveys": survey_people}


def demo_brand(seed: int = 7) -> DemoBrand:
    """The bundled demo: ``generate_brand`` with its default stories and its customers."""
    return generate_brand(seed, customers=True)


# --- Goals and actions ----------------------------------------------------------------------

YEAR_GOAL_NPS_MARGIN = 2  # points below the NPS so far: on track
YEAR_GOAL_REVENUE_SHARE = 0.95  # of the revenue so far extrapolated to the year: on track


def _nps(scores: pd.Series) -> float:
    return 100 * (float((scores >= 9).mean()) - float((scores <= 6).mean()))


def _round_down(value: float, digits: int = 3) -> float:
    """``value`` rounded down to ``digits`` significant digits (405,083,112 -> 405,000,000)."""
    unit = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return float(math.floor(value / unit) * unit)


def demo_goals(brand: DemoBrand) -> list[dict]:
    """Three goals whose status (:func:`cx.analysis.goals.goal_progress` on the last day of data) the
    brand's own numbers settle, with ``today`` its last day and the year the calendar year of it:

    * brand NPS this year, target :data:`YEAR_GOAL_NPS_MARGIN` points under the NPS so far (rounded
      down): on track, the projection's SE being well under a point for a whole brand;
    * brand revenue this year, target :data:`YEAR_GOAL_REVENUE_SHARE` of the revenue so far at the
      year's daily rate (3 significant digits): on track;
    * NPS of the low region (else the first region) over the three months from this month's first
      day, target the region's NPS this month rounded up: with one month observed the projection is
      the value so far, its SE about 3 points, so the chance lies between about 40 % and 50 %: at risk.
    """
    today = date.fromisoformat(brand.story["period"]["end"])
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
    nps = brand.frames["nps"]
    day = nps["responded_at"].str[:10]
    this_year = nps.loc[day.between(year_start.isoformat(), today.isoformat()), "score"]
    sales = brand.frames["sales"]
    revenue = sales.loc[sales["date"].between(year_start.isoformat(), today.isoformat()), "revenue"].sum()
    elapsed_days = (today - year_start).days + 1
    year_days = (year_end - year_start).days + 1
    region = (brand.story["low_region"] or {}).get("region") or brand.story["regions"][0]
    stores = brand.frames["stores"]
    in_region = nps["store_id"].isin(stores.loc[stores["region"] == region, "store_id"])
    month_start = today.replace(day=1)
    this_month = nps.loc[in_region & day.between(month_start.isoformat(), today.isoformat()), "score"]
    quarter_end = (pd.Timestamp(month_start) + pd.DateOffset(months=3) - pd.Timedelta(days=1)).date()
    year = {"scope_type": "brand", "scope_value": None, "period_start": year_start, "period_end": year_end}
    return [
        {"metric": "nps", **year, "target": float(math.floor(_nps(this_year)) - YEAR_GOAL_NPS_MARGIN)},
        {"metric": "revenue", **year,
         "target": _round_down(YEAR_GOAL_REVENUE_SHARE * revenue / elapsed_days * year_days)},
        {"metric": "nps", "scope_type": "region", "scope_value": region, "period_start": month_start,
         "period_end": quarter_end, "target": float(math.ceil(_nps(this_month)))},
    ]  # fmt: skip


def demo_actions(brand: DemoBrand) -> list[dict]:
    """The action recorded where the incident is: at its store, on the day it starts (what changed
    then), so the root cause's before/after test of that store compares the weeks either side."""
    incident = brand.story["incident"]
    if incident is None:
        return []
    return [{"action_date": date.fromisoformat(incident["start"]), "scope_type": "store",
             "scope_value": incident["store_id"],
             "description": f"New {incident['touchpoint'].lower()} partner and process"}]  # fmt: skip


def record_demo_plans(engine: Engine, brand: DemoBrand) -> tuple[int, int]:
    """Store :func:`demo_goals` and :func:`demo_actions` unless already there (a second ``python -m cx
    demo`` adds nothing); return how many goals and actions were added."""
    stored = goal_rows(engine, scope=Scope())
    known = {tuple(row[name] for name in GOAL_FIELDS) for row in stored.to_dict("records")}
    goals = [goal for goal in demo_goals(brand) if tuple(goal[name] for name in GOAL_FIELDS) not in known]
    for goal in goals:
        insert_goal(engine, goal)
    actions = 0
    for action in demo_actions(brand):
        done = actions_for(
            engine, scope_type=action["scope_type"], scope_value=action["scope_value"], scope=Scope()
        )
        if not any(row["action_date"] == action["action_date"] and row["description"] == action["description"]
                   for row in done):  # fmt: skip
            insert_action(engine, **action)
            actions += 1
    return len(goals), actions


def demo_users(brand: DemoBrand) -> list[dict]:
    """One user per role on the demo brand, without passwords: the regional manager holds the
    incident's region, the store manager its store (``python -m cx metrics --as gulf@demo``)."""
    incident = brand.story["incident"]
    region, store = incident["region"], incident["store_id"]
    return [
        {"email": "admin@demo", "role": "admin", "name": "Demo administrator", "grants": []},
        {"email": "exec@demo", "role": "executive", "name": "Demo executive", "grants": []},
        {"email": "lead@demo", "role": "cx_lead", "name": "Demo CX lead", "grants": []},
        {"email": f"{region.lower()}@demo", "role": "regional_manager", "name": f"Demo manager, {region}",
         "grants": [("region", region)]},
        {"email": f"{store.lower()}@demo", "role": "store_manager", "name": f"Demo manager, {store}",
         "grants": [("store", store)]},
    ]  # fmt: skip


def record_demo_users(engine: Engine, brand: DemoBrand) -> int:
    """Add :func:`demo_users` that are not there yet; return how many were added."""
    known = {user["email"] for user in list_users(engine)}
    fresh = [user for user in demo_users(brand) if user["email"] not in known]
    for user in fresh:
        add_user(engine, user["email"], role=user["role"], name=user["name"], grants=user["grants"])
    return len(fresh)


# --- Checks -------------------------------------------------------------------------------


def _check_arguments(n_stores, n_regions, start, months, responses, reviews, tiny_responses) -> None:
    if not 1 <= n_regions <= len(_REGIONS):
        raise ValueError(f"n_regions must be between 1 and {len(_REGIONS)}, got {n_regions}")
    if not n_regions <= n_stores <= 999:
        raise ValueError(f"n_stores must be between n_regions ({n_regions}) and 999, got {n_stores}")
    if start.day != 1:
        raise ValueError(f"start must be the first day of a month, e.g. {start.replace(day=1)}, got {start}")
    if months < 2:
        raise ValueError(f"months must be at least 2, got {months}")
    if responses < 1 or reviews < 0:
        raise ValueError("responses_per_store_month must be >= 1 and reviews_per_store_month >= 0")
    low, high = tiny_responses
    if not 0 <= low <= high:
        raise ValueError(
            f"tiny_store_responses must be (min, max) with 0 <= min <= max, got {tiny_responses}"
        )


def _story_store(store_id: str | None, store_ids: list[str], what: str) -> int | None:
    if store_id is None:
        return None
    if store_id not in store_ids:
        raise ValueError(f"{what}={store_id!r} is not one of the stores {store_ids[0]}..{store_ids[-1]}")
    return store_ids.index(store_id)


def _check_stories(
    incident, start, end, low_region, regions, gap, tiny, incident_store, arabic_share
) -> None:
    if incident is not None:
        if incident.touchpoint not in TOUCHPOINTS:
            raise ValueError(
                f"incident.touchpoint={incident.touchpoint!r} is not in the catalogue: {TOUCHPOINTS}"
            )
        if not start < incident.start <= end:
            raise ValueError(
                f"incident.start must fall after {start} and on or before {end}, got {incident.start}"
            )
        if len(set(incident.complaint_words_en)) < 2 or len(set(incident.complaint_words_ar)) < 2:
            raise ValueError(
                "incident needs at least two different English and two different Arabic complaint words"
            )
        if min(incident.nps_drop, incident.csat_drop) < 0:
            raise ValueError("incident.nps_drop and incident.csat_drop must be >= 0 (they are drops)")
        if not 0 <= incident.sales_drop_pct < 100:
            raise ValueError(f"incident.sales_drop_pct must be in [0, 100), got {incident.sales_drop_pct}")
        if incident_store == tiny:
            raise ValueError("the incident store and tiny_store must differ")
    if low_region is not None and (low_region not in regions or len(regions) < 2):
        raise ValueError(f"low_region={low_region!r} must be one of at least two regions, here {regions}")
    if gap < 0:
        raise ValueError(f"low_region_gap must be >= 0 NPS points, got {gap}")
    if not 0 <= arabic_share <= 1:
        raise ValueError(f"arabic_share must be between 0 and 1, got {arabic_share}")


# --- Stores -------------------------------------------------------------------------------


def _layout(n_stores: int, n_regions: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """Stores grouped by region (ids in region order), spread over each region's cities by weight.

    Each region's first store is its flagship, then two malls to one express store. The layout depends
    only on the counts, so a store id means the same place and format for every seed.
    """
    shares = np.array([share for _, share, _ in _REGIONS[:n_regions]])
    exact = (n_stores - n_regions) * shares / shares.sum()
    counts = 1 + np.floor(exact).astype(int)
    counts[np.argsort(np.floor(exact) - exact, kind="stable")[: n_stores - counts.sum()]] += 1
    rows, region, city = [], [], []
    city_base = 0
    for r, ((region_name, _, cities), count) in enumerate(zip(_REGIONS[:n_regions], counts, strict=True)):
        weights = np.array([c.weight for c in cities])
        credit = np.zeros(len(cities))
        used = [0] * len(cities)
        for position in range(count):  # smooth weighted round robin: the biggest city first
            credit += weights
            pick = int(np.argmax(credit))
            credit[pick] -= weights.sum()
            c = cities[pick]
            number, k = divmod(used[pick], len(c.neighbourhoods))
            used[pick] += 1
            suffix = f" {number + 1}" if number else ""
            rows.append(
                {
                    "store_id": f"ST{len(rows) + 1:03d}",
                    "name": f"{c.name} {c.neighbourhoods[k]}{suffix}",
                    "region": region_name,
                    "district": c.district,
                    "city": c.name,
                    "country": c.country,
                    "latitude": c.latitude,
                    "longitude": c.longitude,
                    "format": "flagship" if position == 0 else ("express" if position % 3 == 2 else "mall"),
                }
            )
            region.append(r)
            city.append(city_base + pick)
        city_base += len(cities)
    stores = pd.DataFrame(rows)
    return stores, np.array(region), np.array(city), stores["country"].tolist()


# --- Responses ----------------------------------------------------------------------------


def _visits(world: _World, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Store index and time (datetime64[s]) of ``counts[store, month]`` visits; busy days more often."""
    rng = world.rng
    n_stores, months = counts.shape
    store = np.repeat(np.arange(n_stores), counts.sum(axis=1))
    month = np.repeat(np.tile(np.arange(months), n_stores), counts.ravel())
    day = np.empty(store.size, "datetime64[D]")
    for m in range(months):
        rows = np.flatnonzero(month == m)
        days = np.arange(world.month_starts[m], world.month_starts[m + 1])
        weights = _WEEKDAY_TRAFFIC[_weekday(days)]
        day[rows] = rng.choice(days, rows.size, p=weights / weights.sum())
    hours = rng.choice(24, store.size, p=_RESPONSE_HOURS / _RESPONSE_HOURS.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, store.size)
    when = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    keep = day >= world.opened[store]
    return store[keep], when[keep]


def _response_counts(world: _World, per_store_month: float, tiny_range: tuple[int, int] | None) -> np.ndarray:
    months = world.month_starts.size - 1
    counts = world.rng.poisson(per_store_month * world.volume[:, None], (world.volume.size, months))
    counts[world.opened[:, None] >= world.month_starts[None, 1:]] = 0
    if world.tiny is not None and tiny_range is not None:
        counts[world.tiny] = world.rng.integers(tiny_range[0], tiny_range[1] + 1, months)
    return counts


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 .. Sunday = 6 for datetime64 values."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def _latent(world: _World, store: np.ndarray, when: np.ndarray, touchpoint: np.ndarray) -> np.ndarray:
    """Mean latent satisfaction of each response: store, touchpoint, month and weekday effects."""
    calendar_month = when.astype("datetime64[M]").astype(np.int64) % 12
    busy = _BUSY_DAY_EFFECT * (_WEEKDAY_TRAFFIC[_weekday(when)] - 1)
    return world.store_latent[store] + _TOUCHPOINT_EFFECT[touchpoint] + _MONTH_SCORE[calendar_month] + busy


def _texts(
    world: _World,
    store: np.ndarray,
    touchpoint: np.ndarray,
    sentiment: np.ndarray,
    incident_rows: np.ndarray,
    extra_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Text (object array) and is-Arabic flag per row; ``sentiment`` is 0 positive, 1 neutral, 2 negative.

    The sentence is about the row's touchpoint, sometimes followed by a general remark. Non-positive
    rows where the incident applies name its complaint words; so do a few negative rows elsewhere.
    """
    rng = world.rng
    arabic = rng.random(store.size) < world.arabic[store]
    text = np.empty(store.size, dtype=object)
    for is_arabic, phrases in ((False, _PHRASES_EN), (True, _PHRASES_AR)):
        for t, name in enumerate(TOUCHPOINTS):
            for s, bank in enumerate(phrases[name]):
                rows = np.flatnonzero((arabic == is_arabic) & (touchpoint == t) & (sentiment == s))
                text[rows] = _pick(rng, bank, rows.size)
    if world.incident is not None:
        incident = world.incident
        named = (incident_rows & (sentiment > 0) & (rng.random(store.size) < _INCIDENT_WORDING)) | (
            ~incident_rows
            & (touchpoint == world.incident_touchpoint)
            & (sentiment == 2)
            & (rng.random(store.size) < _BACKGROUND_WORDING)
        )
        english, arabic_words = _TOUCHPOINT_WORDS[incident.touchpoint]
        for is_arabic, complaints in (
            (False, _complaints(_COMPLAINTS_EN, english, incident.complaint_words_en)),
            (True, _complaints(_COMPLAINTS_AR, arabic_words, incident.complaint_words_ar)),
        ):
            rows = np.flatnonzero(named & (arabic == is_arabic))
            text[rows] = _pick(rng, complaints, rows.size)
    extra = rng.random(store.size) < extra_share
    for is_arabic, general in ((False, _GENERAL_EN), (True, _GENERAL_AR)):
        for s, bank in enumerate(general):
            rows = np.flatnonzero(extra & (arabic == is_arabic) & (sentiment == s))
            text[rows] = text[rows] + " " + _pick(rng, bank, rows.size)
    return text, arabic


def _pick(rng: np.random.Generator, choices: tuple[str, ...], size: int) -> np.ndarray:
    return np.array(choices, dtype=object)[rng.integers(len(choices), size=size)]


def _comments(
    world: _World,
    store: np.ndarray,
    touchpoint: np.ndarray,
    sentiment: np.ndarray,
    incident_rows: np.ndarray,
    rates: tuple[float, float, float],
) -> np.ndarray:
    """Comment per response ('' for most): unhappy customers write more often."""
    commented = np.flatnonzero(world.rng.random(store.size) < np.array(rates)[sentiment])
    comment = np.full(store.size, "", dtype=object)
    comment[commented], _ = _texts(
        world, store[commented], touchpoint[commented], sentiment[commented], incident_rows[commented], 0.35
    )
    return comment


def _customers(world: _World, store: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Who gave each answer, as a customer number from a pool per city (skewed so that regulars answer
    again and again), and the customer id the answer carries: blank for the share that gave none."""
    rng = world.rng
    city = world.city[store]
    local = np.floor(world.customer_pools[city] * rng.random(store.size) ** 1.7).astype(np.int64)
    person = world.customer_offsets[city] + local + 1
    ids = _ids("C", person).astype(object)
    ids[rng.random(store.size) < _CUSTOMER_BLANK] = ""
    return person, ids


def _ids(prefix: str, numbers: np.ndarray, width: int = 6) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill(numbers.astype(str), width))


def _in_time_order(
    columns: dict[str, np.ndarray], id_column: str, prefix: str, time_column: str
) -> pd.DataFrame:
    """Frame sorted by time then store, with ids numbered in that order; ``time_column`` is datetime64."""
    when = columns[time_column]
    order = np.lexsort((columns["store_id"], when))
    frame = {id_column: _ids(prefix, np.arange(1, when.size + 1))}
    for column, values in columns.items():
        values = values[order]
        if column == time_column:
            values = np.strings.replace(np.datetime_as_string(values, unit="s"), "T", " ")
        frame[column] = values
    return pd.DataFrame(frame)


def _nps_frame(world: _World, per_store_month: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The NPS answers, and the customer number of who gave each (see _customers)."""
    rng = world.rng
    store, when = _visits(world, _response_counts(world, per_store_month, world.tiny_responses))
    day = when.astype("datetime64[D]")
    touchpoint = world.touchpoints(store, day, _RESPONSE_MIX, _INCIDENT_RESPONSE_SHARE)
    incident = world.incident_rows(store, touchpoint, day)
    latent = _latent(world, store, when, touchpoint) - world.incident_nps_shift * incident
    score = _NPS_SCALE.read(latent + rng.standard_normal(store.size))
    sentiment = np.select([score >= 9, score >= 7], [0, 1], 2)
    label = np.array(TOUCHPOINTS, dtype=object)[touchpoint]
    label[rng.random(store.size) < _NPS_TOUCHPOINT_BLANK] = ""
    comment = _comments(world, store, touchpoint, sentiment, incident, _NPS_COMMENT_RATE)
    person, customer_id = _customers(world, store)
    columns = {
        "store_id": world.stores["store_id"].to_numpy()[store],
        "responded_at": when,
        "score": score,
        "touchpoint": label,
        "comment": comment,
        "customer_id": customer_id,
        "person": person,
    }
    return _without_person(_in_time_order(columns, "response_id", "N", "responded_at"))


def _without_person(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return frame.drop(columns="person"), frame["person"].to_numpy()


def _survey_frame(world: _World, per_store_month: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The survey answers, and the customer number of who gave each (see _customers)."""
    rng = world.rng
    store, when = _visits(world, _response_counts(world, per_store_month, world.tiny_responses))
    n = store.size
    day = when.astype("datetime64[D]")
    touchpoint = world.touchpoints(store, day, _RESPONSE_MIX, _INCIDENT_RESPONSE_SHARE)
    incident = world.incident_rows(store, touchpoint, day)
    mean = _latent(world, store, when, touchpoint) - world.incident_csat_shift * incident
    feeling = rng.standard_normal(n)
    csat = _CSAT_SCALE.read(mean + feeling)
    ces = _CES_SCALE.read(mean + 0.8 * feeling + 0.6 * rng.standard_normal(n)).astype(object)
    ces[rng.random(n) < _CES_BLANK] = ""
    sentiment = np.select([csat >= 4, csat == 3], [0, 1], 2)
    comment = _comments(world, store, touchpoint, sentiment, incident, _SURVEY_COMMENT_RATE)
    person, customer_id = _customers(world, store)
    columns = {
        "store_id": world.stores["store_id"].to_numpy()[store],
        "responded_at": when,
        "touchpoint": np.array(TOUCHPOINTS, dtype=object)[touchpoint],
        "csat": csat,
        "ces": ces,
        "comment": comment,
        "customer_id": customer_id,
    }
    names = np.array(TOUCHPOINTS, dtype=object)[touchpoint]
    for attribute, (offset, asked_about) in _ATTRIBUTE_PROFILE.items():
        latent = mean + offset + 0.8 * feeling + 0.6 * rng.standard_normal(n)
        rating = _ATTRIBUTE_SCALE.read(latent).astype(object)
        asked = np.ones(n, bool) if asked_about is None else np.isin(names, list(asked_about))
        rating[rng.random(n) < np.where(asked, *_ATTRIBUTE_BLANK)] = ""
        columns[f"attr_{attribute}"] = rating
    columns["person"] = person
    return _without_person(_in_time_order(columns, "response_id", "S", "responded_at"))


def _review_frame(world: _World, per_store_month: int) -> pd.DataFrame:
    rng = world.rng
    store, when = _visits(world, _response_counts(world, per_store_month, _TINY_REVIEWS))
    n = store.size
    day = when.astype("datetime64[D]")
    topic = world.touchpoints(store, day, _REVIEW_MIX, _INCIDENT_REVIEW_SHARE)
    incident = world.incident_rows(store, topic, day)
    # A review about the failing touchpoint loses about as much as its CSAT does.
    latent = _latent(world, store, when, topic) - world.incident_csat_shift * incident
    rating = _REVIEW_SCALE.read(latent + rng.standard_normal(n))
    sentiment = np.select([rating >= 4, rating == 3], [0, 1], 2)
    text, arabic = _texts(world, store, topic, sentiment, incident, 0.7)
    columns = {
        "store_id": world.stores["store_id"].to_numpy()[store],
        "posted_at": when,
        "rating": rating,
        "text": text,
        "platform": np.array(PLATFORMS, dtype=object)[rng.choice(len(PLATFORMS), n, p=_PLATFORM_MIX)],
        "language": np.where(arabic, "ar", "en").astype(object),
    }
    return _in_time_order(columns, "review_id", "R", "posted_at")


# --- Sales --------------------------------------------------------------------------------


def _sales_frame(world: _World, store_effect: np.ndarray) -> pd.DataFrame:
    """Daily revenue and transactions per open store: format size, weekday, season, growth, ramp-up."""
    rng = world.rng
    days = np.arange(world.month_starts[0], world.month_starts[-1])
    formats = world.stores["format"].to_numpy()
    n_stores = formats.size
    base = np.array([_DAILY_TRANSACTIONS[f] for f in formats]) * rng.lognormal(0, 0.18, n_stores)
    base *= np.exp(0.6 * store_effect)
    if world.tiny is not None:
        base[world.tiny] *= _TINY_SALES_FACTOR
    ticket = np.array([_TICKET[f] for f in formats]) * rng.lognormal(0, 0.08, n_stores)
    season = _MONTH_SALES[days.astype("datetime64[M]").astype(np.int64) % 12]
    growth = 1 + _YEARLY_GROWTH * (days - days[0]).astype(float) / 365.25
    age = (days[None, :] - world.opened[:, None]).astype(float)
    ramp = np.clip(0.75 + 0.25 * age / _NEW_STORE_RAMP_DAYS, None, 1.0)
    expected = base[:, None] * (_WEEKDAY_TRAFFIC[_weekday(days)] * season * growth)[None, :] * ramp
    if world.incident is not None:
        after = days >= np.datetime64(world.incident.start, "D")
        expected[world.incident_store, after] *= 1 - world.incident.sales_drop_pct / 100
    transactions = np.rint(expected * rng.lognormal(0, 0.06, expected.shape)).astype(np.int64)
    basket = ticket[:, None] * (1 + 0.5 * (season - 1))[None, :] * rng.lognormal(0, 0.03, expected.shape)
    revenue = np.round(transactions * basket, 2)
    store, day = np.nonzero(age >= 0)
    return pd.DataFrame(
        {
            "store_id": world.stores["store_id"].to_numpy()[store],
            "date": np.datetime_as_string(days[day], unit="D"),
            "revenue": revenue[store, day],
            "transactions": transactions[store, day],
        }
    )


# --- Ground truth -------------------------------------------------------------------------


def _story(
    name: str, seed: int, world: _World, end: date, regions, low_region: str | None, gap: float, opening
) -> dict:
    stores = world.stores

    def where(i: int) -> dict:
        row = stores.iloc[i]
        return {
            "store_id": row["store_id"],
            "store_name": row["name"],
            "region": row["region"],
            "city": row["city"],
        }

    incident = world.incident
    catalogue = {tp: (stage, channel) for tp, stage, channel in DEFAULT_TOUCHPOINTS}
    return {
        "brand": name,
        "seed": seed,
        "period": {
            "start": str(world.month_starts[0]),
            "end": end.isoformat(),
            "months": world.month_starts.size - 1,
        },
        "incident": None
        if incident is None
        else {
            **where(world.incident_store),
            "touchpoint": incident.touchpoint,
            "stage": catalogue[incident.touchpoint][0],
            "channel": catalogue[incident.touchpoint][1],
            "start": incident.start.isoformat(),
            "complaint_words_en": incident.complaint_words_en,
            "complaint_words_ar": incident.complaint_words_ar,
            "nps_drop": incident.nps_drop,
            "csat_drop": incident.csat_drop,
            "sales_drop_pct": incident.sales_drop_pct,
        },
        "low_region": None
        if low_region is None
        else {
            "region": low_region,
            "nps_gap": gap,
            "stores": tuple(stores.loc[stores["region"] == low_region, "store_id"]),
        },
        "tiny_store": None
        if world.tiny is None
        else {**where(world.tiny), "responses_per_month": world.tiny_responses},
        "new_stores": {stores["store_id"][i]: stores["opened_on"][i] for i in opening},
        "regions": tuple(regions),
        "currency": DEMO_CURRENCY,
        "seasonality": {
            "sales_index_by_month": dict(zip(range(1, 13), _MONTH_SALES.tolist(), strict=True)),
            "sales_peak_month": int(np.argmax(_MONTH_SALES)) + 1,
            "score_dip_months": tuple(int(m) + 1 for m in np.flatnonzero(_MONTH_SCORE < -0.06)),
            "weekday_traffic": dict(zip(_WEEKDAYS, _WEEKDAY_TRAFFIC.tolist(), strict=True)),
        },
    }
