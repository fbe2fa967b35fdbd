"""Shared test settings: hypothesis profiles sized so the whole suite stays under 10 minutes
(the ``cuda`` mark of ``backends/cuda`` is given in the repository's root conftest.py)."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tgcnn", deadline=None, max_examples=int(os.environ.get("TGCNN_EXAMPLES", "25")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")), database=None if os.environ.get("CI") else
    settings.default.database)
settings.load_profile("tgcnn")

