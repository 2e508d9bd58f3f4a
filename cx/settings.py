"""One typed settings object: where the database and the import reports live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'cx.db'}"


def normalise_database_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to the psycopg 3 driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str
    reports_dir: Path

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """``--db`` wins over ``CX_DATABASE_URL``, which wins over the SQLite file under ``data/``."""
        url = database_url or os.environ.get("CX_DATABASE_URL") or DEFAULT_DATABASE_URL
        reports = Path(os.environ.get("CX_REPORTS_DIR", DATA_DIR / "imports"))
        return cls(database_url=normalise_database_url(url), reports_dir=reports)
