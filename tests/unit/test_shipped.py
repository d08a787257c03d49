"""blendhunter.shipped: the shipped models load by name and match their cards."""

from __future__ import annotations

import json
import subprocess
import sys

from blendhunter import shipped


def test_shipped_models_load_by_name_and_match_their_cards():
    assert shipped.recommended() in shipped.names()
    for name in shipped.names():
        card = shipped.card(name)
        assert card["weights_md5"] == shipped.md5(shipped.folder() / name / shipped.WEIGHTS_FILE)
        head = shipped.load(name)
        assert tuple(head.input_shape[1:]) == tuple(card["feature_shape"])
        assert card["realistic"]["auc"] > 0.9
        assert card["metadata"].get("kind") == "cnn" or card["metadata"]["layer"]  # a head's features
    total = sum(p.stat().st_size for p in shipped.folder().rglob("*") if p.is_file())
    assert total < 16e6  # all shipped models together


def test_cards_render_in_blendhunter_models():
    result = subprocess.run(
        [sys.executable, "-m", "blendhunter.cli", "models"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0
    for name in shipped.names():
        assert name in result.stdout
    assert "(recommended)" in result.stdout and "AUC" in result.stdout
    assert json.loads((shipped.folder() / shipped.recommended() / shipped.CARD_FILE).read_text())[
        "recommended"
    ]
