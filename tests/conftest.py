"""Shared, seeded fixtures. Slow fixtures (MCMC fits, Otter runs) are session-scoped."""

from __future__ import annotations

import numpy as np
import pytest

from assignment.activity import load_spotify
from poolside import paths
from poolside import reference as ref


@pytest.fixture(scope="session")
def spotify():
    return load_spotify(paths.DATA)[0]


@pytest.fixture(scope="session")
def artist_means():
    return load_spotify(paths.DATA)[1]


@pytest.fixture(scope="session")
def references():
    return ref.load()


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)
