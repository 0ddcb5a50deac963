"""Measured candidates for the cost-model tests, built and timed on this machine once per test
session (nothing is kept on disk)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "feature_extractor"))


@pytest.fixture(scope="session")
def measured():
    """About 24 distinct tilings of GMM with their real run times."""
    from learn_helpers import measured_set

    return measured_set(25)
