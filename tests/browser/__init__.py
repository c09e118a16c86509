"""Browser tests: the real app in headless Chromium (driven with Playwright)."""
