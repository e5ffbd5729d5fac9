"""The browser fixtures live in the root conftest.py, so one Playwright instance serves every test."""
