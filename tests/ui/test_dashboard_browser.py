"""The dashboard in real headless Chromium over a real socket: log in, every page, filters, why."""

from __future__ import annotations

import pytest

from .ui_helpers import ADMIN_KEY, USER_KEY, screenshot

pytestmark = pytest.mark.socket


def _login(page, base, key=ADMIN_KEY, target="/ui/"):
    page.goto(base + target)
    assert "/ui/login" in page.url  # every page needs an admin key
    page.fill("#key", key)
    page.click("#login")


def test_pages_load_filters_work_and_lead_to_why(live_ui, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    _login(page, live_ui, target="/ui/requests?customer=acme")
    assert page.url.endswith("/ui/requests?customer=acme")

    page.goto(live_ui + "/ui/")
    assert page.title() == "Overview · seedstack"
    assert int(page.inner_text("#rps").replace(".", "").lstrip("0") or "0") > 0
    assert page.locator("#chart polyline").count() == 2 and "SLO p99 300 ms" in page.text_content("#chart")
    assert page.locator("#cost-customer tr").count() > 2
    screenshot(page, "overview")

    page.goto(live_ui + "/ui/requests")
    page.fill("#customer", "acme")
    page.click("#apply")
    assert set(page.locator("#results td.cust").all_inner_texts()) == {"acme"}
    page.fill("#customer", "")
    page.select_option("#status", "error")
    page.fill("#min_latency", "50")
    page.click("#apply")
    statuses = page.locator("#results td.status").all_inner_texts()
    assert statuses and all(int(s) >= 400 for s in statuses)
    assert all(float(t.split()[0]) >= 50 for t in page.locator("#results td.lat").all_inner_texts())
    screenshot(page, "requests-filtered")
    page.fill("#min_latency", "")

    page.fill("#q", "refund was denied")
    page.select_option("#status", "")
    page.click("#apply")
    first = page.locator("#results tr.row a").first
    assert first.inner_text() == "req_ui_complaint"
    first.click()
    assert page.inner_text("#request-id") == "req_ui_complaint"
    assert "A55555" in page.inner_text("#template") and "was denied" in page.inner_text("#payload")
    assert "time to first token" in page.inner_text("#latency")
    screenshot(page, "why")

    page.goto(live_ui + "/ui/slo")
    assert page.locator("#slos tr.slo").count() == 2
    assert "optimize the model (quantize, speculative decoding)" in page.inner_text("#recommendation")
    screenshot(page, "slo")

    page.goto(live_ui + "/ui/drift")
    assert page.locator("#drift tr.tpl").count() >= 1
    screenshot(page, "drift")

    page.goto(live_ui + "/ui/requests?template=agent-research")
    page.locator("#results tr.row a").first.click()
    assert page.locator("#trace li").count() >= 1  # every agent call belongs to a trace
    page.click("h2 a[href^='/ui/traces/']")
    assert page.title().startswith("Trace ") and page.locator("#trace li").count() >= 1
    screenshot(page, "trace")
    page.close()


def test_a_non_admin_key_cannot_log_in(live_ui, browser):
    page = browser.new_page()
    _login(page, live_ui, key=USER_KEY)
    assert "not an active admin key" in page.inner_text("#login-error")
    screenshot(page, "login-refused")
    page.close()
