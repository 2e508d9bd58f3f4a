"""A small generated brand loaded through the real importer, for metric and rollup tests."""

from __future__ import annotations

from pathlib import Path

from cx.config import make_engine
from cx.ingest import ImportOptions, load_frame
from cx.ingest.demo import DemoBrand, generate_brand
from cx.store.schema import upgrade_schema


def small_brand(seed: int = 3) -> DemoBrand:
    return generate_brand(
        seed,
        n_stores=8,
        n_regions=2,
        months=14,
        incident=None,
        low_region=None,
        tiny_store=None,
        new_stores=0,
        responses_per_store_month=15,
        reviews_per_store_month=4,
    )


def load_brand(engine, brand: DemoBrand, reports: Path, *, split: bool = False) -> None:
    """Load every frame; with ``split`` each fact frame goes in two batches (rollups must add up)."""
    for kind, frame in brand.frames.items():
        options = ImportOptions(constants={"brand": brand.name} if kind == "stores" else {})
        halves = [frame.iloc[::2], frame.iloc[1::2]] if split and kind != "stores" else [frame]
        for number, part in enumerate(halves):
            load_frame(engine, kind, part, options, name=f"{kind}-{number}", reports_dir=reports)


def brand_database(folder: Path, brand: DemoBrand) -> Path:
    """A new SQLite file ``folder/cx.db`` holding ``brand`` (import reports go to ``folder``)."""
    path = folder / "cx.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    load_brand(engine, brand, folder)
    engine.dispose()
    return path
