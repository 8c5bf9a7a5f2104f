"""The small alert world on the real stores, and an HTTP client of its API, for the API tests."""
import pytest
from fastapi.testclient import TestClient

from gridflow.api import create_app
from tests.integration.alert_world import make_world


@pytest.fixture
def world(config, geography):
    return make_world(config, geography)


@pytest.fixture
def http(world):
    return TestClient(create_app(world.services))
