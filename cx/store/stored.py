"""Answers kept with the data: an expensive computation (the root cause's change search and
explanation) runs once per data version, then every session and process reads its answer.

:func:`stored_result` keys an answer on the function, the SHA-256 of its arguments' canonical JSON
(a ``Scope`` with all its fields, ``visible_stores`` included, so a caller limited to some stores
never reads an answer computed over others) and the code that computes it (a digest of the ``cx``
package's source, so a new release never serves an answer of the old one), and on the data version
(:func:`cx.store.queries.data_version`, which grows with every import and every undo, so either
makes every kept answer stale). Storing an answer drops the answers of older versions. Answers are
JSON: dicts, lists, numbers (``nan`` kept), text, dates and pandas frames, restored with their types.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from cx.store.models import StoredResult
from cx.store.queries import data_version


def stored_result(function):
    """Decorator for ``function(engine, **keywords)``: its answer is read from the database when it was
    computed on the same data version, else computed and kept there."""
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def remembered(engine: Engine, **keywords):
        asked = json.dumps(keywords, default=_argument, sort_keys=True) + code_version()
        digest = hashlib.sha256(asked.encode()).hexdigest()
        version = data_version(engine)
        where = (StoredResult.name == name, StoredResult.arguments_digest == digest,
                 StoredResult.data_version == version)  # fmt: skip
        with engine.connect() as connection:
            kept = connection.execute(select(StoredResult.answer).where(*where)).scalar()
        if kept is not None:
            return json.loads(kept, object_hook=_restored)
        answer = function(engine, **keywords)
        row = {"name": name, "arguments_digest": digest, "data_version": version,
               "answer": json.dumps(answer, default=_encoded)}  # fmt: skip
        try:
            with engine.begin() as connection:
                connection.execute(delete(StoredResult).where(StoredResult.data_version < version))
                connection.execute(insert(StoredResult).values(**row))
        except IntegrityError:
            pass  # kept meanwhile by another session: the same data give the same answer
        return answer

    return remembered


@functools.cache
def code_version() -> str:
    """SHA-256 of every module of the ``cx`` package (path and source), read once per process."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _argument(value):
    """JSON for an argument: a dataclass (``Scope``, ``Period``) as its fields, sets sorted."""
    if dataclasses.is_dataclass(value):
        return {"type": type(value).__name__, **vars(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot key a stored result")


def _encoded(value):
    """JSON for what ``json`` cannot write itself: a frame (each column's values and dtype), a date."""
    if isinstance(value, pd.DataFrame):
        columns = {}
        for column in value.columns:
            values = value[column]
            as_text = pd.api.types.is_datetime64_any_dtype(values)
            listed = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f") if as_text else values
            columns[column] = {"dtype": str(values.dtype), "values": listed.tolist()}
        return {"__frame__": columns}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be kept in a stored result")


def _restored(value: dict):
    if "__frame__" in value:
        columns = value["__frame__"]
        return pd.DataFrame({name: pd.Series(c["values"]).astype(c["dtype"]) for name, c in columns.items()})
    if "__datetime__" in value:
        return dt.datetime.fromisoformat(value["__datetime__"])
    if "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    return value
