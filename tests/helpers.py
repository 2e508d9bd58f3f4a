"""Small helpers shared by the import tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import create_engine, text

from cx.cli import main


def write_csv(path: Path, header: str, *rows: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def load(capsys, url: str, kind: str, path: Path, *options: str) -> tuple[int, dict]:
    """Run ``python -m cx load ... --json`` in-process; return the exit code and the JSON summary."""
    capsys.readouterr()
    code = main(["load", kind, str(path), "--db", url, "--json", "--no-prepare", *options])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def count(url: str, table: str, where: str = "") -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one()
    engine.dispose()
    return value


def rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return result


def as_read(markdown: str) -> str:
    """Escaped Markdown (:func:`cx.present.markup.escape_markdown`) as it reads on the page."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
