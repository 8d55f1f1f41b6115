"""Shared fixtures: a build cache for the session and a project directory per test.

Every test under ``tests/integration`` gets the ``integration`` marker, so
``pytest -m "not integration"`` runs the fast unit and runtime tests alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Project

INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyoxidizer-cache")


@pytest.fixture
def project(tmp_path: Path, cache_dir: Path) -> Iterator[Project]:
    root = tmp_path / "proj"
    root.mkdir()
    yield Project(root, cache_dir)
