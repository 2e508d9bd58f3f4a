"""Customer-360 benchmark: ``customers link`` and ``linkage`` at CRM scale, against plain baselines.

Generates (NumPy, fixed seed; CSV files built once under ``bench/out/customers/``) a brand of 100
stores in the United Arab Emirates, a CRM of 500,000 customers (name, e-mail, phone, a loyalty number
for about 60 %; 2 % are a second sign-up of someone already there, sharing their e-mail or phone),
5,000,000 transactions over two years (named by ``customer_id``, the loyalty number, a phone written
another way than in the CRM, or the e-mail in upper case or with spaces; 3 % by guests unknown to the
CRM) and 1,000,000 NPS answers named by an e-mail or a phone variant only (8 % from people unknown to
the CRM). Customers who buy more answer higher, so promoters come back more than detractors.

The files are loaded into ``bench/out/customers.db`` by the real importer (``python -m cx load ...
--no-prepare``, one process per file; timed, no target). Each first link runs on a fresh copy of that
loaded database. Timed, every command as a whole process (interpreter start-up and imports included;
its own peak memory read from its VmHWM, as in ``bench/metrics.py``):

- ``python -m cx customers link --json`` (once by default: ``--link-repeats``), then again on the
  linked database: it looks again only at the unlinked and conflicting records and changes nothing;
- the baseline of the link: a pandas process that reads the NPS and CRM files (the key columns),
  normalises the e-mail (strip, lower) and the phone (digits only, to E.164: the same result as
  ``cx.identity.keys`` for the formats generated here) with vectorised string operations and merges
  the NPS answers to the CRM on that key (``pd.merge``). Target: link <= 3x it. For scale only, the
  same merge over every record the link reads (NPS and transactions, by each of their keys) is
  timed too;
- ``python -m cx linkage --json`` (best of ``--repeats``) against one raw ``SELECT store_id,
  COUNT(*), SUM(amount) FROM purchase GROUP BY store_id`` through ``sqlite3`` in this process.
  Target: linkage <= 1x it.

Peak memory target: <= 1.5 GB for ``customers link`` and ``linkage``. Each cx process logs the SQL
statements it runs with their seconds, printed as "where the time goes". A process is stopped after
``--timeout`` seconds, or when the machine has less than ``--keep-free`` MB available (others use it
too): its time is then a lower bound, and the statement it was running is named. ``--profile`` adds a
cProfile of each (on another fresh copy) and prints its top functions. ``--scale 0.02`` shrinks every
count for a quick run (files and database kept apart, under names with the scale).

    .venv/bin/python -m bench.customers [--scale F] [--rebuild] [--repeats N] [--link-repeats N]
        [--timeout S] [--keep-free MB] [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pstats
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SEED = 360
STORES = 100
CUSTOMERS = 500_000
TRANSACTIONS = 5_000_000
ANSWERS = 1_000_000
START = np.datetime64("2024-01-01T00:00:00")
DAYS = 730
LINK_TARGET = 3.0
LINKAGE_TARGET = 1.0
MEMORY_TARGET_MB = 1536
SECRET = "bench-customers-identity-secret"  # the same hashes every run, so a built database is reused
BASELINE_SQL = "SELECT store_id, COUNT(*), SUM(amount) FROM purchase GROUP BY store_id"
FILES = ("stores", "customers", "transactions", "nps")
FIRST_NAMES = np.array(
    ["Mohammed", "Ahmed", "Fatima", "Aisha", "Omar", "Maryam", "Khalid", "Noura", "Ali", "Sara", "Hassan",
     "Layla", "Yousef", "Huda", "Rashid", "Mariam", "Priya", "Rahul", "Anjali", "Arjun", "Fahad", "Reem",
     "Sultan", "Amna", "John", "Emma", "David", "Olivia", "Michael", "Sophie", "Carlos", "Maria", "Jose",
     "Ana", "Wei", "Li", "Ivan", "Elena", "Tariq", "Zainab"]
)  # fmt: skip
LAST_NAMES = np.array(
    ["Al Mansouri", "Al Hashimi", "Al Nuaimi", "Al Falasi", "Al Suwaidi", "Al Zaabi", "Al Ketbi", "Khan",
     "Sharma", "Patel", "Nair", "Menon", "Iyer", "Hussain", "Qureshi", "Siddiqui", "Smith", "Jones",
     "Brown", "Wilson", "Taylor", "Santos", "Reyes", "Cruz", "Garcia", "Haddad", "Khoury", "Nasser",
     "Saleh", "Aziz", "Rahman", "Chowdhury", "Fernandes", "DSouza", "Pereira", "Wang", "Chen", "Ivanov",
     "Petrova", "Osman"]
)  # fmt: skip
DOMAINS = np.array(["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "emirates.net.ae"])
MOBILE_PREFIXES = np.array(["50", "52", "54", "55", "56", "58"])
REGIONS = {"Dubai": "Dubai", "Abu Dhabi": "Abu Dhabi", "Sharjah": "Sharjah", "Northern Emirates": "Ajman"}
# How a phone is written: the CRM's two ways, and the other ways transactions and answers write it.
CRM_PHONE_STYLES = ("spaced", "local")
OTHER_PHONE_STYLES = ("e164", "plain", "dashed", "international", "bracketed")

# Run in the child, in place of ``python -m cx``: the same process, which also writes each SQL
# statement it runs, with its seconds, to a log (so a process stopped at --timeout still says what it
# was running), and reports on its last line of standard error how long its imports and its command
# took and its high-water memory (VmHWM: on Linux a child's ru_maxrss starts at the parent's mark).
# With BENCH_PROFILE set, the command runs under cProfile.
CHILD = """
import json, os, re, sys, time
started = time.perf_counter()
from cx.cli import main
imported = time.perf_counter()
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = open(os.environ["BENCH_STATEMENT_LOG"], "w", buffering=1)

@event.listens_for(Engine, "before_cursor_execute")
def _started(connection, cursor, statement, parameters, context, executemany):
    connection.info["bench_at"] = time.perf_counter()
    log.write(json.dumps({"at": connection.info["bench_at"] - started, "sql": " ".join(statement.split()),
                          "rows": len(parameters) if executemany else None}) + "\\n")

@event.listens_for(Engine, "after_cursor_execute")
def _ended(connection, cursor, statement, parameters, context, executemany):
    log.write(json.dumps({"seconds": time.perf_counter() - connection.info.pop("bench_at")}) + "\\n")

if os.environ.get("BENCH_PROFILE"):
    import cProfile
    profiler = cProfile.Profile()
    code = profiler.runcall(main, sys.argv[1:])
    profiler.dump_stats(os.environ["BENCH_PROFILE"])
else:
    code = main(sys.argv[1:])
log.write(json.dumps({"end": time.perf_counter() - started}) + "\\n")
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
print("\\n" + json.dumps({"imports": imported - started, "command": time.perf_counter() - imported,
                         "peak_mb": peak}), file=sys.stderr)
raise SystemExit(code)
"""
# The link's baseline: read the key columns, normalise e-mail and phone with pandas string
# operations, one pd.merge. With "all", every transaction's keys are merged too (for scale only).
BASELINE_MERGE = """
import json, re, sys, time
started = time.perf_counter()
import pandas as pd
imported = time.perf_counter()

def email(values):
    return "email:" + values.str.strip().str.lower()

def phone(values):
    digits = values.str.replace(r"\\D", "", regex=True)
    digits = digits.where(~digits.str.startswith("00"), digits.str[2:])
    digits = digits.where(~digits.str.startswith("0"), "971" + digits.str[1:])
    return "phone:+" + digits

def read(path, columns):
    return pd.read_csv(path, usecols=columns, dtype=str)

nps_path, crm_path, transactions_path, which = sys.argv[1:5]
crm = read(crm_path, ["customer_id", "email", "phone", "loyalty_id"])
keys = [pd.DataFrame({"key": email(crm["email"]), "customer_id": crm["customer_id"]}),
        pd.DataFrame({"key": phone(crm["phone"]), "customer_id": crm["customer_id"]})]
nps = read(nps_path, ["response_id", "email", "phone"])
records = [pd.DataFrame({"record_id": nps["response_id"],
                         "key": email(nps["email"]).fillna(phone(nps["phone"]))})]
if which == "all":
    keys += [pd.DataFrame({"key": "customer_id:" + crm["customer_id"], "customer_id": crm["customer_id"]}),
             pd.DataFrame({"key": "loyalty:" + crm["loyalty_id"].str.strip(), "customer_id": crm["customer_id"]})]
    sold = read(transactions_path, ["transaction_id", "customer_id", "loyalty_id", "phone", "email"])
    records += [pd.DataFrame({"record_id": sold["transaction_id"], "key": key}) for key in (
        "customer_id:" + sold["customer_id"], "loyalty:" + sold["loyalty_id"].str.strip(),
        phone(sold["phone"]), email(sold["email"]))]
keys = pd.concat(keys, ignore_index=True).dropna()
records = pd.concat(records, ignore_index=True).dropna()
merged = pd.merge(records, keys, on="key", how="left")
matched = int(merged.loc[merged["customer_id"].notna(), "record_id"].nunique())
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
print(json.dumps({"records": int(records["record_id"].nunique()), "matched": matched}))
print("\\n" + json.dumps({"imports": imported - started, "command": time.perf_counter() - imported,
                         "peak_mb": peak}), file=sys.stderr)
"""


@dataclass(frozen=True)
class Limits:
    """When a process is stopped: after ``seconds``, or when the machine has less than
    ``keep_free_mb`` of memory available (others use it too)."""

    seconds: float
    keep_free_mb: float


@dataclass(frozen=True)
class Statement:
    """One SQL statement a process ran: ``seconds`` in its execute call (the rows of a SELECT are
    fetched after it), ``span`` until the next statement began or the process ended (fetching and
    using its rows too)."""

    sql: str
    seconds: float
    span: float
    rows: int | None  # executemany: how many parameter sets
    running: bool  # still running when the process was stopped


@dataclass(frozen=True)
class Run:
    """One process: wall time, CPU time (user + system: on a shared machine it says how much work was
    done when the wall time also counts waiting for a core), the time its imports and its work took
    inside it, its peak resident memory, its standard output, why it was stopped (None: it finished)
    and the SQL statements it ran."""

    wall: float
    cpu: float
    imports: float
    command: float
    peak_mb: float
    stdout: str
    stopped: str | None = None
    statements: tuple[Statement, ...] = ()

    def figures(self) -> dict:
        """The figures as JSON values (None for the imports of a process that was stopped)."""
        values = {key: getattr(self, key) for key in ("wall", "cpu", "imports", "command", "peak_mb")}
        found = {key: None if math.isnan(value) else round(value, 3) for key, value in values.items()}
        return found | {"stopped": self.stopped}


def child_environment(folder: Path) -> dict[str, str]:
    """The environment of every cx process: a fixed identity key, import reports beside the files,
    and no database, region or key file from the caller's environment."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("CX_DATABASE_URL", "CX_PHONE_REGION", "CX_IDENTITY_KEY_FILE")}  # fmt: skip
    return environment | {"CX_IDENTITY_SECRET": SECRET, "CX_REPORTS_DIR": str(folder / "reports"),
                          "BENCH_STATEMENT_LOG": str(folder / "statements.jsonl")}  # fmt: skip


def _memory_mb(path: str, field: str) -> float:
    try:
        with open(path) as status:
            found = re.search(rf"{field}:\s+(\d+) kB", status.read())
    except OSError:  # the process has just ended
        return 0.0
    return int(found.group(1)) / 1024 if found else 0.0


def run(arguments: list[str], environment: dict[str, str], limits: Limits, script: str = CHILD) -> Run:
    """Run ``script`` (by default: ``python -m cx`` with ``arguments``) as a fresh process, stopped
    by ``limits``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", script, *arguments], stdout=out, stderr=err, text=True,
                                 env=environment, cwd=ROOT)  # fmt: skip
        peak, stopped = 0.0, None
        while child.poll() is None:
            peak = max(peak, _memory_mb(f"/proc/{child.pid}/status", "VmRSS"))
            if time.perf_counter() - started > limits.seconds:
                stopped = f"stopped after {limits.seconds:.0f} s (--timeout)"
            elif _memory_mb("/proc/meminfo", "MemAvailable") < limits.keep_free_mb:
                stopped = (
                    f"stopped at {peak:.0f} MB: under {limits.keep_free_mb:.0f} MB left free (--keep-free)"
                )
            if stopped:
                child.kill()
                child.wait()
                break
            time.sleep(0.2)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if stopped is None and child.returncode != 0:
        raise SystemExit(f"{' '.join(arguments[:3])} ... failed ({child.returncode}):\n{stderr[-3000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    log = Path(environment["BENCH_STATEMENT_LOG"])
    statements = read_statements(log, wall) if script == CHILD and log.exists() else ()
    if stopped:
        return Run(wall, cpu, math.nan, wall, peak, stdout, stopped, statements)
    inside = json.loads(stderr.strip().splitlines()[-1])
    return Run(wall, cpu, inside["imports"], inside["command"], inside["peak_mb"], stdout, None, statements)


def read_statements(log: Path, wall: float) -> tuple[Statement, ...]:
    """The statements of the child's log; one begun and not ended ran until the process stopped."""
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    begun = [(number, entry) for number, entry in enumerate(entries) if "sql" in entry]
    ended = next((entry["end"] for entry in entries if "end" in entry), wall)
    found = []
    for (number, entry), following in zip(begun, [*begun[1:], (None, {"at": ended})], strict=True):
        done = number + 1 < len(entries) and "seconds" in entries[number + 1]
        seconds = entries[number + 1]["seconds"] if done else wall - entry["at"]
        found.append(
            Statement(entry["sql"], seconds, following[1]["at"] - entry["at"], entry["rows"], not done)
        )
    return tuple(found)


# --- The generated brand ------------------------------------------------------------------------------


def counts(scale: float) -> dict[str, int]:
    return {"customers": max(round(CUSTOMERS * scale), 100), "transactions": max(round(TRANSACTIONS * scale), 1000),
            "answers": max(round(ANSWERS * scale), 200)}  # fmt: skip


def phone_text(national: pd.Series, styles: np.ndarray, names: tuple[str, ...]) -> pd.Series:
    """UAE mobile numbers (national significant digits, ``501234567``) written in the style each row's
    index in ``styles`` picks from ``names``."""
    head, middle, tail = national.str[:2], national.str[2:5], national.str[5:]
    ways = {
        "e164": lambda: "+971" + national,
        "spaced": lambda: "+971 " + head + " " + middle + " " + tail,
        "local": lambda: "0" + head + " " + middle + " " + tail,
        "plain": lambda: "0" + national,
        "dashed": lambda: "0" + head + "-" + middle + "-" + tail,
        "international": lambda: "00971" + national,
        "bracketed": lambda: "(0" + head + ") " + middle + " " + tail,
    }
    written = pd.Series(None, index=national.index, dtype=object)
    for number, name in enumerate(names):
        chosen = styles == number
        written[chosen] = ways[name]()[chosen]
    return written.where(national.notna(), None)


def email_variant(email: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Each e-mail as written, in upper case, with spaces around it, or title-cased."""
    style = rng.integers(0, 4, len(email))
    variant = email.copy()
    variant[style == 1] = email[style == 1].str.upper()
    variant[style == 2] = "  " + email[style == 2] + " "
    variant[style == 3] = email[style == 3].str.title()
    return variant


def stranger_keys(rng: np.random.Generator, size: int, tag: str) -> tuple[pd.Series, pd.Series]:
    """E-mails and phones of people the CRM does not know (numbers outside the CRM's range)."""
    number = pd.Series(rng.permutation(size)).astype(str)
    email = tag + number + "@" + pd.Series(rng.choice(DOMAINS, size))
    national = "59" + pd.Series(rng.integers(0, 10_000_000, size)).astype(str).str.zfill(7)
    return email, national


def generate_crm(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """The CRM file's frame, each customer's phone as national digits, and their purchase propensity."""
    first, last = rng.choice(FIRST_NAMES, n), rng.choice(LAST_NAMES, n)
    names = pd.Series(first) + " " + pd.Series(last)
    local = (pd.Series(first).str.lower() + "." + pd.Series(last).str.lower().str.replace(" ", "", regex=False)
             + pd.Series(rng.permutation(n) + 1).astype(str))  # fmt: skip
    email = local + "@" + pd.Series(rng.choice(DOMAINS, n))
    drawn = pd.unique(rng.integers(0, len(MOBILE_PREFIXES) * 10_000_000, int(n * 1.1) + 100))[:n]
    national = pd.Series(MOBILE_PREFIXES[drawn // 10_000_000]) + pd.Series(drawn % 10_000_000).astype(
        str
    ).str.zfill(7)
    loyalty = "LY" + pd.Series(rng.permutation(n) + 700_000_000).astype(str)
    has = rng.random((3, n))
    email = email.where(has[0] >= 0.10, None)  # 10 % without an e-mail
    national = national.where((has[1] >= 0.08) | email.isna(), None)  # 8 % without a phone, never both
    loyalty = loyalty.where(has[2] < 0.60, None)
    # 2 % are a second sign-up of someone else: their name, and their e-mail (or phone), no loyalty card.
    second = rng.choice(n, n // 50, replace=False)
    first_sign_up = rng.integers(0, n, len(second))
    names.iloc[second] = names.iloc[first_sign_up].to_numpy()
    by_email = email.iloc[first_sign_up].notna().to_numpy()
    email.iloc[second[by_email]] = email.iloc[first_sign_up[by_email]].to_numpy()
    national.iloc[second[~by_email]] = national.iloc[first_sign_up[~by_email]].to_numpy()
    loyalty.iloc[second] = None
    crm = pd.DataFrame(
        {
            "customer_id": "C" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(7),
            "name": names,
            "email": email,
            "phone": phone_text(national, rng.integers(0, 2, n), CRM_PHONE_STYLES),
            "loyalty_id": loyalty,
        }
    )
    propensity = rng.gamma(0.7, 1.0, n)
    propensity[second] *= 0.2
    return crm, national, propensity


def generate_transactions(rng, crm, national, propensity, home, size: int) -> pd.DataFrame:
    """Transactions over two years, each named by one key of its customer (see the module's text)."""
    who = rng.choice(len(crm), size, p=propensity / propensity.sum())
    moment = START + rng.integers(0, DAYS * 86_400, size).astype("timedelta64[s]")
    store = np.where(rng.random(size) < 0.8, home[who], rng.integers(0, STORES, size))
    way = rng.random(size)
    customer_id, loyalty = crm["customer_id"].to_numpy()[who], crm["loyalty_id"].to_numpy()[who]
    email, phone = crm["email"].to_numpy()[who], national.to_numpy()[who]
    by_loyalty = (way >= 0.25) & (way < 0.60) & pd.notna(loyalty)
    by_phone = (
        ((way >= 0.60) & (way < 0.80)) | ((way >= 0.25) & (way < 0.60) & pd.isna(loyalty))
    ) & pd.notna(phone)
    by_email = (way >= 0.80) & pd.notna(email)
    phone_too = by_loyalty & (rng.random(size) < 0.3) & pd.notna(phone)  # the card, and the phone asked
    by_id = ~(by_loyalty | by_phone | by_email)
    guest = rng.random(size) < 0.03
    guest_email, _ = stranger_keys(rng, int(guest.sum()), "guest")
    frame = pd.DataFrame(
        {
            "transaction_id": "T" + pd.Series(np.arange(1, size + 1)).astype(str).str.zfill(8),
            "store_id": "AE" + pd.Series(store + 1).astype(str).str.zfill(3),
            "purchased_at": pd.Series(np.datetime_as_string(moment, unit="s")).str.replace("T", " ", regex=False),
            "amount": np.round(rng.lognormal(4.6, 0.7, size), 2),
            "items": 1 + rng.poisson(2.0, size),
            "customer_id": pd.Series(customer_id).where(by_id & ~guest, None),
            "loyalty_id": pd.Series(loyalty).where(by_loyalty & ~guest, None),
            "phone": phone_text(pd.Series(phone).where((by_phone | phone_too) & ~guest, None),
                                rng.integers(0, len(OTHER_PHONE_STYLES), size), OTHER_PHONE_STYLES),
            "email": email_variant(pd.Series(email).where(by_email & ~guest, None), rng),
        }
    )  # fmt: skip
    frame.loc[guest, "email"] = guest_email.to_numpy()
    return frame


def generate_answers(rng, crm, national, propensity, home, size: int) -> pd.DataFrame:
    """NPS answers named by an e-mail or a phone variant; customers who buy more answer higher."""
    who = rng.choice(len(crm), size, p=propensity / propensity.sum())
    affinity = np.log(propensity[who])
    latent = (affinity - affinity.mean()) / affinity.std() + rng.normal(0.0, 1.0, size)
    score = np.clip(np.round(7.3 + 1.6 * latent), 0, 10).astype(int)
    moment = START + rng.integers(0, DAYS * 86_400, size).astype("timedelta64[s]")
    email, phone = crm["email"].to_numpy()[who], national.to_numpy()[who]
    stranger = rng.random(size) < 0.08
    stranger_email, stranger_phone = stranger_keys(rng, size, "visitor")
    email = np.where(stranger, stranger_email.to_numpy(), email)
    phone = np.where(stranger, stranger_phone.to_numpy(), phone)
    by_email = ((rng.random(size) < 0.6) & pd.notna(email)) | pd.isna(phone)
    return pd.DataFrame(
        {
            "response_id": "N" + pd.Series(np.arange(1, size + 1)).astype(str).str.zfill(8),
            "store_id": "AE" + pd.Series(home[who] + 1).astype(str).str.zfill(3),
            "responded_at": pd.Series(np.datetime_as_string(moment, unit="s")).str.replace("T", " ", regex=False),
            "score": score,
            "email": email_variant(pd.Series(email).where(by_email, None), rng),
            "phone": phone_text(pd.Series(phone).where(~by_email, None),
                                rng.integers(0, len(CRM_PHONE_STYLES + OTHER_PHONE_STYLES), size),
                                CRM_PHONE_STYLES + OTHER_PHONE_STYLES),
        }
    )  # fmt: skip


def write_files(folder: Path, scale: float) -> dict[str, Path]:
    """The four CSV files (see the module's text); returns their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    sizes = counts(scale)
    paths = {kind: folder / f"{kind}.csv" for kind in FILES}
    regions = np.array(list(REGIONS))[np.arange(STORES) % len(REGIONS)]
    pd.DataFrame(
        {
            "store_id": [f"AE{i:03d}" for i in range(1, STORES + 1)],
            "name": [f"Store {i}" for i in range(1, STORES + 1)],
            "region": regions,
            "city": [REGIONS[region] for region in regions],
            "country": "AE",
        }
    ).to_csv(paths["stores"], index=False)
    crm, national, propensity = generate_crm(rng, sizes["customers"])
    crm.to_csv(paths["customers"], index=False)
    home = rng.integers(0, STORES, len(crm))
    generate_transactions(rng, crm, national, propensity, home, sizes["transactions"]).to_csv(
        paths["transactions"], index=False
    )
    generate_answers(rng, crm, national, propensity, home, sizes["answers"]).to_csv(paths["nps"], index=False)
    (folder / "sizes.json").write_text(json.dumps({"scale": scale, "seed": SEED, **sizes}))
    return paths


# --- Building, loading, copying --------------------------------------------------------------------


def names_for(scale: float) -> tuple[Path, Path]:
    """The files' folder and the loaded database of ``scale`` (the full size without a suffix)."""
    suffix = "" if scale == 1 else f"-{scale:g}"
    return OUT / f"customers{suffix}", OUT / f"customers{suffix}.db"


def remove_database(path: Path) -> None:
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        part.unlink(missing_ok=True)


def load_brand(folder: Path, database: Path, environment: dict[str, str], limits: Limits) -> dict[str, Run]:
    """Load the four files with ``python -m cx load KIND FILE --no-prepare`` into a new ``database``."""
    remove_database(database)
    loads = {}
    for kind in FILES:
        loads[kind] = found = run(["load", kind, str(folder / f"{kind}.csv"), "--db", f"sqlite:///{database}",
                                   "--json", "--no-prepare"], environment, limits)  # fmt: skip
        if found.stopped:
            remove_database(database)
            raise SystemExit(f"cx load {kind} {found.stopped}")
        summary = json.loads(found.stdout)
        print(f"  load {kind:13} {summary['rows_loaded']:>10,} rows: {found.wall:7.1f} s wall, {found.cpu:7.1f} s CPU, "
              f"peak {found.peak_mb:6.0f} MB", flush=True)  # fmt: skip
        if summary["rows_rejected"] or summary["rows_loaded"] != summary["rows_read"]:
            raise SystemExit(f"cx load {kind} did not load every row: {summary}")
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return loads


def prepared_brand(
    scale: float, rebuild: bool, environment: dict[str, str], limits: Limits
) -> tuple[dict, dict]:
    """Generate the files and load them unless done before; their sizes, and each load's figures."""
    folder, database = names_for(scale)
    sizes, load_times = folder / "sizes.json", folder / "loads.json"
    if rebuild or not sizes.exists():
        print(f"generating the files under {folder.relative_to(ROOT)} ...", flush=True)
        started = time.perf_counter()
        write_files(folder, scale)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
        remove_database(database)
    if not (database.exists() and load_times.exists()):
        print(f"loading them into {database.relative_to(ROOT)} (python -m cx load KIND FILE --no-prepare) ...",
              flush=True)  # fmt: skip
        loads = {
            kind: found.figures() for kind, found in load_brand(folder, database, environment, limits).items()
        }
        load_times.write_text(json.dumps(loads))
    else:
        loads = json.loads(load_times.read_text())
        print(f"reusing {database.relative_to(ROOT)} (--rebuild to build it again); its loads took:")
        for kind, found in loads.items():
            print(f"  load {kind:13} {found['wall']:7.1f} s wall, {found['cpu']:7.1f} s CPU, peak "
                  f"{found['peak_mb']:6.0f} MB")  # fmt: skip
    return json.loads(sizes.read_text()), loads


def fresh_copy(database: Path, name: str) -> Path:
    """A copy of the loaded database (nothing linked yet), read once so the page cache is warm."""
    copy = database.with_name(name)
    remove_database(copy)
    shutil.copyfile(database, copy)
    warm(copy)
    return copy


def warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def last_link_event(database: Path) -> dict:
    """What the latest ``customers link`` wrote in the audit log (looked_at, linked, conflict, unlinked)."""
    with sqlite3.connect(database) as connection:
        detail = connection.execute(
            "SELECT detail FROM audit_event WHERE action = 'customers_link' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return json.loads(detail[0]) if detail else {}


def nps_states(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return dict(
            connection.execute(
                "SELECT status, COUNT(*) FROM customer_link WHERE source = 'nps' GROUP BY status"
            )
        )


# --- Measuring ---------------------------------------------------------------------------------------


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda found: (found.stopped is not None, found.wall))


def repeated(arguments: list[str], environment: dict[str, str], limits: Limits, repeats: int,
             script: str = CHILD) -> Run:  # fmt: skip
    """The best of ``repeats`` runs; none after one that was stopped."""
    runs = []
    for _ in range(repeats):
        runs.append(run(arguments, environment, limits, script))
        if runs[-1].stopped:
            break
    return best(runs)


def timed(action, repeats: int) -> float:
    """Best of ``repeats`` wall-clock runs in this process."""
    seconds = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds = min(seconds, time.perf_counter() - started)
    return seconds


def where_time_goes(label: str, found: Run, shown: int = 3) -> None:
    """The SQL statements that took longest to execute, or from their start to the next statement's
    (their rows fetched and used), and the time outside their execute calls."""
    executing = sum(statement.seconds for statement in found.statements)
    print(f"  {label}: {executing:.1f} s executing {len(found.statements)} SQL statements, "
          f"{found.command - executing:.1f} s besides (fetching rows, Python, Splink)"
          f"{'; ' + found.stopped if found.stopped else ''}")  # fmt: skip
    slowest = sorted(found.statements, key=lambda statement: -max(statement.seconds, statement.span))
    for statement in slowest[:shown]:
        rows = f" ({statement.rows:,} rows)" if statement.rows else ""
        state = " STILL RUNNING when stopped" if statement.running else ""
        print(f"    {statement.seconds:7.1f} s execute {statement.span:7.1f} s to the next{state}{rows}  "
              f"{statement.sql[:130]}")  # fmt: skip


def profile(arguments: list[str], environment: dict[str, str], limits: Limits, output: Path,
            shown: int = 15) -> dict:  # fmt: skip
    """One ``python -m cx`` process under cProfile: prints its top functions by own and by cumulative
    time (the profile is kept in ``output``) and its slowest statements."""
    found = run(arguments, environment | {"BENCH_PROFILE": str(output)}, limits)
    title = f"python -m cx {' '.join(arguments[:2])}"
    if found.stopped:
        print(f"  profile of {title}: {found.stopped}, no profile written")
        where_time_goes(title, found)
        return {"stopped": found.stopped}
    rows, ours = [], []
    for (file, line, function), (_, calls, own, cumulative, _) in pstats.Stats(str(output)).stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({function})" if line else function, "calls": calls,
                     "own_s": round(own, 2), "cumulative_s": round(cumulative, 2)})  # fmt: skip
        if "/cx/" in file or "/splink/" in file:
            ours.append(rows[-1])
    print(f"  profile of {title} ({found.command:.1f} s under cProfile, kept in {output.relative_to(ROOT)}), "
          f"top {shown} by own time:")  # fmt: skip
    by_own = sorted(rows, key=lambda row: -row["own_s"])[:shown]
    for row in by_own:
        print(f"    {row['own_s']:8.2f} s own {row['cumulative_s']:8.2f} s cum {row['calls']:>11,} calls  "
              f"{row['function']}")  # fmt: skip
    print(f"  top {shown} by cumulative time (cx and Splink functions):")
    by_cumulative = sorted(ours, key=lambda row: -row["cumulative_s"])[:shown]
    for row in by_cumulative:
        print(f"    {row['cumulative_s']:8.2f} s cum {row['own_s']:8.2f} s own  {row['function']}")
    where_time_goes(title, found)
    return {"seconds": round(found.command, 2), "by_own_time": by_own, "by_cumulative_time": by_cumulative}


def verdict(value: float, target: float, stopped: bool = False) -> str:
    if stopped:
        return f"(target <= {target:g}: MISSED, a lower bound: the process was stopped)"
    return f"(target <= {target:g}: {'met' if value <= target else 'MISSED'})"


def line(label: str, found: Run, extra: str = "") -> None:
    if found.stopped:
        print(
            f"{label:46} > {found.wall:7.1f} s: {found.stopped}; peak so far {found.peak_mb:6.0f} MB{extra}"
        )
        return
    print(f"{label:46} {found.wall:9.2f} s wall {found.cpu:8.2f} s CPU ({found.imports:4.1f} s imports, "
          f"{found.command:7.2f} s work)  peak {found.peak_mb:6.0f} MB{extra}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every count (0.02: a quick run)")
    parser.add_argument("--rebuild", action="store_true", help="generate and load the files again")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of the baselines and linkage, best taken"
    )
    parser.add_argument("--link-repeats", type=int, default=1, help="first links, each on a fresh copy")
    parser.add_argument("--profile", action="store_true", help="also profile customers link and linkage")
    parser.add_argument("--timeout", type=float, default=600, help="stop a process after this many seconds")
    parser.add_argument("--keep-free", type=float, default=2000, metavar="MB",
                        help="stop a process when the machine has less memory than this available")  # fmt: skip
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        raise SystemExit(f"--scale is above 0 and at most 1; got {args.scale}.")
    started = time.perf_counter()
    limits = Limits(args.timeout, args.keep_free)
    folder, database = names_for(args.scale)
    folder.mkdir(parents=True, exist_ok=True)
    environment = child_environment(folder)
    sizes, loads = prepared_brand(args.scale, args.rebuild, environment, limits)
    print(f"{sizes['customers']:,} customers, {sizes['transactions']:,} transactions, {sizes['answers']:,} NPS "
          f"answers, {STORES} stores; whole processes, stopped after {args.timeout:.0f} s; this machine: "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip

    files = [str(folder / f"{kind}.csv") for kind in ("nps", "customers", "transactions")]
    for path in files:
        warm(Path(path))
    merge = repeated([*files, "nps"], environment, limits, args.repeats, BASELINE_MERGE)
    everything = run([*files, "all"], environment, limits, BASELINE_MERGE)
    print(f"baseline merges done ({merge.wall:.1f} s, {everything.wall:.1f} s); linking ...", flush=True)

    links, linked_copy = [], database.with_name(database.stem + "-linked.db")
    for _ in range(args.link_repeats):
        linked_copy = fresh_copy(database, linked_copy.name)
        links.append(
            run(["customers", "link", "--json", "--db", f"sqlite:///{linked_copy}"], environment, limits)
        )
        if links[-1].stopped:
            break
    link = best(links)
    url = f"sqlite:///{linked_copy}"
    first = last_link_event(linked_copy)
    summary = json.loads(link.stdout) if not link.stopped else {}
    relink = relinked = again = None
    if not link.stopped:
        print(f"linked in {link.wall:.1f} s; linking again ...", flush=True)
        relink = run(["customers", "link", "--json", "--db", url], environment, limits)
        relinked = last_link_event(linked_copy) if not relink.stopped else {}
        again = json.loads(relink.stdout) if not relink.stopped else {}

    connection = sqlite3.connect(linked_copy)
    purchases = connection.execute("SELECT COUNT(*) FROM purchase").fetchone()[0]
    group_by = timed(lambda: connection.execute(BASELINE_SQL).fetchall(), args.repeats + 1)
    connection.close()
    print(f"GROUP BY {group_by:.2f} s; linkage ...", flush=True)
    linkage = (
        repeated(["linkage", "--json", "--db", url], environment, limits, args.repeats) if summary else None
    )
    result = json.loads(linkage.stdout) if linkage and not linkage.stopped else None

    memory = f" (<= {MEMORY_TARGET_MB})"
    print()
    line(f"baseline: pandas merge, NPS to CRM (best of {args.repeats})", merge)
    line("  for scale: the same over NPS + transactions", everything)
    line(f"customers link ({'best of ' + str(len(links)) if len(links) > 1 else 'once'})", link, memory)
    if relink:
        line("customers link again (already linked)", relink, memory)
    print(f"{'baseline: raw GROUP BY over purchase (sqlite3)':46} {group_by:9.2f} s (best of {args.repeats + 1}, "
          f"{purchases:,} rows)")  # fmt: skip
    if linkage:
        line(f"linkage (best of {args.repeats})" if not linkage.stopped else "linkage", linkage, memory)
    print()
    link_ratio = link.wall / merge.wall
    print(f"link / merge:       {link_ratio:7.2f} {verdict(link_ratio, LINK_TARGET, bool(link.stopped))}; "
          f"link / merge of every record: {link.wall / everything.wall:.2f}")  # fmt: skip
    linkage_ratio = linkage.wall / group_by if linkage else math.nan
    if linkage:
        print(f"linkage / GROUP BY: {linkage_ratio:7.2f} "
              f"{verdict(linkage_ratio, LINKAGE_TARGET, bool(linkage.stopped))}"
              + ("" if linkage.stopped else f"; its work alone (no start-up, imports): {linkage.command / group_by:.2f}"))  # fmt: skip
    measured = [found for found in (link, relink, linkage) if found]
    peak = max(found.peak_mb for found in measured)
    print(f"peak memory:        {peak:7.0f} MB {verdict(peak, MEMORY_TARGET_MB)}; the loads: "
          f"{max(found['peak_mb'] for found in loads.values()):.0f} MB (no target)")  # fmt: skip
    if summary:
        print(f"link: {first.get('looked_at', 0):,} records looked at; linked {summary['records_linked']:,}, unlinked "
              f"{summary['records_unlinked']:,}, conflicts {summary['conflicts']:,}; {summary['customers']:,} "
              f"customers, {summary['duplicate_pairs']:,} pairs proposed for merging")  # fmt: skip
        states = nps_states(linked_copy)
        merged = json.loads(merge.stdout)
        print(f"  NPS answers: linked {states.get('linked', 0):,}, conflicts {states.get('conflict', 0):,}, unlinked "
              f"{states.get('unlinked', 0):,}; the baseline found a customer for {merged['matched']:,} of "
              f"{merged['records']:,}")  # fmt: skip
    if relink and not relink.stopped:
        unchanged = all(again[key] == summary[key] for key in summary)
        print(f"again: {relinked['looked_at']:,} records looked at (the unlinked and conflicts), "
              f"{relinked['linked']:,} newly linked; state {'unchanged' if unchanged else 'CHANGED'}")  # fmt: skip
    if result:
        groups = {group["group"]: group for group in result["groups"]}
        print(f"linkage: {result['customers']:,} customers, {result['censored']:,} censored; return rate: "
              + ", ".join(f"{name}s {groups[name]['return_rate']:.3f}" for name in groups))  # fmt: skip
    print("\nwhere the time goes:")
    for label, found in (("customers link", link), ("customers link again", relink), ("linkage", linkage)):
        if found:
            where_time_goes(label, found)
    profiles = {}
    if args.profile and summary:
        print()
        profiled = fresh_copy(database, database.stem + "-profiled.db")
        arguments = ["--json", "--db", f"sqlite:///{profiled}"]
        profiles["customers link"] = profile(["customers", "link", *arguments], environment, limits,
                                             OUT / f"{database.stem}-link.prof")  # fmt: skip
        if linkage and not linkage.stopped:
            profiles["linkage"] = profile(
                ["linkage", *arguments], environment, limits, OUT / f"{database.stem}-linkage.prof"
            )
        remove_database(profiled)
    elapsed = time.perf_counter() - started
    print(f"\nwhole benchmark: {elapsed:.0f} s; this process peak "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print(json.dumps({
        "scale": args.scale, **{key: sizes[key] for key in ("customers", "transactions", "answers")},
        "loads": loads, "merge": merge.figures(), "merge_every_record": everything.figures(),
        "link": link.figures(), "link_runs": [found.figures() for found in links],
        "relink": relink.figures() if relink else None, "group_by_seconds": round(group_by, 3),
        "linkage": linkage.figures() if linkage else None, "link_ratio": round(link_ratio, 3),
        "linkage_ratio": round(linkage_ratio, 3), "peak_mb": round(peak, 1),
        "targets": {"link_ratio": LINK_TARGET, "linkage_ratio": LINKAGE_TARGET, "peak_mb": MEMORY_TARGET_MB},
        "link_summary": summary, "link_looked_at": first.get("looked_at"),
        "relink_looked_at": relinked.get("looked_at") if relinked else None, "linkage_result": result and {
            "customers": result["customers"], "censored": result["censored"],
            "return_rate": {group["group"]: group["return_rate"] for group in result["groups"]}},
        "profiles": profiles, "timeout_seconds": args.timeout, "seconds": round(elapsed, 1),
        "at": dt.datetime.now().isoformat(timespec="seconds"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
