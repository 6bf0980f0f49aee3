"""Weight files a user names are proven on a built-in picture of a person before they are used: MediaPipe's own
files pass; a file that loads but gives a wrong network is refused in one sentence naming it."""

from __future__ import annotations

import pytest
from weight_files import shuffled_landmark_weights

from poselift.core.nets.pose2d import PoseEstimator
from poselift.core.nets.weights import DETECTOR_FILE, LANDMARK_FILES, WeightsError, find_weights


def test_the_installed_files_named_by_path_are_proven_and_used():
    landmark, detector = find_weights(LANDMARK_FILES["full"]), find_weights(DETECTOR_FILE)
    estimator = PoseEstimator(landmark_weights=landmark, detector_weights=detector, device="cpu")
    assert estimator.variant == "full"


def test_a_landmark_file_that_loads_but_is_wrong_is_refused_naming_it(tmp_path):
    wrong = shuffled_landmark_weights(tmp_path / "mine.tflite")
    with pytest.raises(WeightsError, match=r"mine\.tflite: .*not BlazePose weights PoseLift can use") as refused:
        PoseEstimator(landmark_weights=wrong, device="cpu")
    assert "\n" not in str(refused.value)
