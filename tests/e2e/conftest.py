"""The browser of the e2e tests: the Debian chromium, headless, one per module."""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_server import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    from tests.e2e.browser import playwright_api

    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
