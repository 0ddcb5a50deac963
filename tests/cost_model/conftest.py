"""Measured candidates for the cost-model tests, built and timed on this machine once per test
session (nothing is kept on disk)."""

import pytest


@pytest.fixture(scope="session")
def measured():
    """About 24 distinct tilings of GMM with their real run times."""
    from raytune_ms.testing.measured import measured_set

    return measured_set(25)
