"""``explain`` finds planted root causes (see ``tests/planted.py``): on the planted store it ranks the
planted touchpoint first, a planted complaint word (English or Arabic) in the top 5 themes and the start
within a month of the truth; on the brand it ranks the planted store in the top 3 of "where", above
the tiny volatile decoy store. Ten seeds, each a different store, touchpoint, month and words."""

from __future__ import annotations

import pytest

from tests.planted import planted_brand, planted_incident, recovery

SEEDS = range(10)


def test_seeds_plant_different_causes():
    causes = {(i.store_id, i.touchpoint, i.start) for i in map(planted_incident, SEEDS)}
    assert len(causes) == len(SEEDS)
    assert len({store for store, _, _ in causes}) >= 5 and len({t for _, t, _ in causes}) >= 5


@pytest.mark.parametrize("seed", SEEDS)
def test_explain_recovers_the_planted_cause(seed, tmp_path):
    checks = recovery(planted_brand(seed, tmp_path))
    assert [name for name, ok in checks.items() if not ok] == []
