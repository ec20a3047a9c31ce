from __future__ import annotations

import numpy as np
import pytest

from destem.model.features import WindowFeatures, compact, load_features, save_features


@pytest.mark.parametrize("values, dtype", [
    ([], np.int8),
    ([0, 3], np.int8),
    ([-100, 3], np.int8),  # IGNORE labels
    ([0, 200], np.uint8),
    ([-100, 4095], np.int16),
    ([0, 65535], np.uint16),
    ([0, 119_546], np.int32),  # a multilingual BERT vocabulary
    ([-100, 40_000], np.int32),
])
def test_compact_picks_the_smallest_type_that_holds_the_values(values, dtype):
    packed = compact(np.array(values, dtype=np.int64))
    assert packed.dtype == dtype and packed.tolist() == values


def test_features_round_trip_through_a_file_with_large_ids(tmp_path):
    features = [WindowFeatures([5, 119_546, 70_000, 2], [0, 1, 3], [0, 33_000, 1], [7, 2_000, -100], [1, 0, -100]),
                WindowFeatures([9, 2], [0, 1], [-100, 4], [3, -100], [2, -100])]
    path = str(tmp_path / "train.npz.xz")
    save_features(features, path)
    loaded = load_features(path)
    assert [[list(map(int, getattr(f, a))) for a in WindowFeatures.__dataclass_fields__] for f in loaded] == \
           [[getattr(f, a) for a in WindowFeatures.__dataclass_fields__] for f in features]
