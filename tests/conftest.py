"""Shared fixtures: engines are compiled once per test session (as in production)."""

from __future__ import annotations

import pytest

import rankl_net


@pytest.fixture(scope="session")
def bone_mouse() -> rankl_net.Model:
    return rankl_net.load_model("bone", "mouse")


@pytest.fixture(scope="session")
def bone_human() -> rankl_net.Model:
    return rankl_net.load_model("bone", "human")


@pytest.fixture(scope="session")
def ocg() -> rankl_net.Model:
    return rankl_net.load_model("osteoclastogenesis")
