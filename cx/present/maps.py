"""The store map: stores coloured by score over country outlines that ship with the package.

The outlines are Natural Earth's 1:110m admin-0 countries as TopoJSON (``data/geo/countries-110m.json``,
public domain; see the licence file beside it), put inline into the chart as the file's text, which
Vega-Lite parses in the browser (so Altair neither copies nor validates its thousands of arcs): no tile
server and no network at page time. The projection is fitted to the stores' bounding box with a
margin, so the map opens on the stores, not on the world.
"""

from __future__ import annotations

from functools import cache

import altair as alt
import numpy as np
import pandas as pd

from cx.config import DATA_DIR
from cx.metrics.registry import METRICS, label
from cx.present.charts import DIVERGING

OUTLINES_FILE = DATA_DIR / "geo" / "countries-110m.json"
OUTLINES_FEATURE = "countries"
MARGIN_SHARE = 0.1  # margin around the stores' bounding box, as a share of its width and height
MIN_MARGIN_DEGREES = 1.0  # ... and at least this, so one store (or one city) still shows its region
MAX_LATITUDE = 85.0  # Mercator cannot show the poles
SEA_COLOUR, LAND_COLOUR, BORDER_COLOUR, NO_ANSWERS_COLOUR = "#eaf2f8", "#f4f4f4", "#b0b0b0", "#cccccc"


@cache
def country_outlines() -> str:
    """The bundled TopoJSON topology (objects ``countries`` and ``land``), as the file's JSON text."""
    return OUTLINES_FILE.read_text(encoding="utf-8")


def store_extent(points: pd.DataFrame) -> dict:
    """GeoJSON ``MultiPoint`` feature of the two corners of the stores' bounding box, widened on each
    side by :data:`MARGIN_SHARE` of its size (at least :data:`MIN_MARGIN_DEGREES`); the projection is
    fitted to it. Points rather than a polygon: a polygon's edges are great circles, which bulge."""
    longitude = pd.to_numeric(points["longitude"], errors="coerce").to_numpy(dtype=float)
    latitude = pd.to_numeric(points["latitude"], errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(longitude) & np.isfinite(latitude)
    if not known.any():
        raise ValueError("No store has both a latitude and a longitude, so there is nothing to map.")
    west, east = longitude[known].min(), longitude[known].max()
    south, north = latitude[known].min(), latitude[known].max()
    across = max(MARGIN_SHARE * (east - west), MIN_MARGIN_DEGREES)
    up = max(MARGIN_SHARE * (north - south), MIN_MARGIN_DEGREES)
    corners = [
        [float(max(west - across, -180.0)), float(max(south - up, -MAX_LATITUDE))],
        [float(min(east + across, 180.0)), float(min(north + up, MAX_LATITUDE))],
    ]
    return {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": corners}}


def map_chart(points: pd.DataFrame, *, metric: str) -> alt.LayerChart:
    """Stores (``store_id, name, city, region, latitude, longitude, value, n``) at their coordinates,
    coloured by the metric's value (grey when no answers in the period), over the sea (the sphere) and
    the country outlines, zoomed to the stores."""
    fmt = METRICS[metric].d3_format if metric in METRICS else ".2f"
    outlines = alt.Data(
        values=country_outlines(), format=alt.DataFormat(type="topojson", feature=OUTLINES_FEATURE)
    )
    sea = alt.Chart(alt.sphere()).mark_geoshape(fill=SEA_COLOUR, clip=True)
    land = alt.Chart(outlines).mark_geoshape(
        fill=LAND_COLOUR, stroke=BORDER_COLOUR, strokeWidth=0.6, clip=True
    )
    stores = alt.Chart(points).mark_circle(size=160, stroke="#333333", strokeWidth=0.5, opacity=0.9).encode(
        longitude="longitude:Q",
        latitude="latitude:Q",
        color=alt.when(alt.datum.n > 0).then(
            alt.Color("value:Q", title=label(metric), scale=alt.Scale(scheme=DIVERGING, reverse=True))
        ).otherwise(alt.value(NO_ANSWERS_COLOUR)),
        tooltip=[alt.Tooltip("store_id:N", title="Store"), alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip("city:N", title="City"), alt.Tooltip("region:N", title="Region"),
                 alt.Tooltip("value:Q", title=label(metric), format=fmt),
                 alt.Tooltip("n:Q", title="n", format=",.0f")],
    )  # fmt: skip
    projection = alt.Projection(type="mercator", fit=store_extent(points))
    return alt.layer(sea, land, stores, projection=projection).properties(height=420)
