"""The dashboard and /docs in a real headless Chromium: what a person sees and does, end to end.

The mock runs on a manual clock, so a job finishes exactly when a test (or the page's form) advances
it; the page's own polling brings the change in, and selenium's explicit waits watch for it.
"""

from __future__ import annotations

import io

import httpx
from chrome import console_errors, network, wait
from PIL import Image
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.select import Select

from conftest import JOB, TOKEN
from mock_server import Settings
from mock_server.testing import LiveServer

CSS = By.CSS_SELECTOR
MARK = "window.__notReloaded = true;"
"""Set on the loaded page: it survives a live update and would vanish with a reload."""


def _open(browser: WebDriver, server: LiveServer) -> None:
    browser.get(server.url + "/_mock/")
    wait(browser, seen.presence_of_element_located((CSS, "#requests")), "the dashboard to load")
    browser.execute_script(MARK)


def _not_reloaded(browser: WebDriver) -> bool:
    return bool(browser.execute_script("return window.__notReloaded === true;"))


def _submit(browser: WebDriver, form: str, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = browser.find_element(CSS, f"{form} [name={name}]")
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)
    browser.execute_script("window.__beforeSubmit = true;")
    browser.find_element(CSS, f"{form} button[type=submit]").click()
    wait(browser, _new_page_loaded, f"{form} to be posted")
    wait(browser, seen.url_contains("notice="), f"{form} to be accepted")


def _new_page_loaded(browser: WebDriver) -> bool:
    """The page the submit led to has loaded (the mark set before it is gone); mid-navigation, not yet."""
    script = "return window.__beforeSubmit !== true && document.readyState === 'complete';"
    try:
        return bool(browser.execute_script(script))
    except WebDriverException:
        return False


def _thumbnails_loaded(browser: WebDriver) -> int:
    script = "return [...document.querySelectorAll('img.thumb')].filter(i => i.complete && i.naturalWidth > 0).length"
    return int(browser.execute_script(script))


def test_the_dashboard_loads_with_no_console_error_and_no_other_host(server: LiveServer, browser: WebDriver) -> None:
    _open(browser, server)
    wait(browser, lambda b: b.find_element(CSS, "#live-status").text == "live", "the first live poll")
    assert browser.title == "piktid-mock dashboard"
    assert console_errors(browser) == []
    assert network(browser).hosts() == {f"127.0.0.1:{server.port}"}


def test_the_requests_view_shows_a_rejected_request_with_its_rule(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    _open(browser, server)
    assert api.post("/edit-chat", json={**JOB, "num_variations": 99}).status_code == 400
    row = wait(browser, seen.presence_of_element_located((CSS, "tr.request")), "the rejected request to appear")
    rule = server.control.journal()[-1]["violations"][0]
    summary = row.find_element(CSS, "details.finding summary")
    assert "400" in row.text and rule["code"] in summary.text and TOKEN in row.text
    assert summary.get_attribute("title") == rule["provenance"]["text"]
    summary.click()
    quote = row.find_element(CSS, "details.finding blockquote")
    assert quote.is_displayed() and rule["provenance"]["text"] in quote.text
    assert _not_reloaded(browser)


def test_a_job_shows_its_thumbnails_after_the_clock_advances_without_a_reload(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    _open(browser, server)
    job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
    wait(browser, seen.presence_of_element_located((CSS, f"article.job[data-job='{job_id}']")), "the job")
    assert _thumbnails_loaded(browser) == 0 and len(browser.find_elements(CSS, ".pending")) == 2
    server.control.advance(5)
    wait(browser, lambda b: _thumbnails_loaded(b) == 2, "both thumbnails to load")
    full = httpx.get(browser.find_element(CSS, f"article.job[data-job='{job_id}'] a").get_attribute("href"))
    assert full.headers["content-type"] == "image/png" and Image.open(io.BytesIO(full.content)).size == (1024, 1024)
    assert [e["path"] for e in server.control.journal()] == ["/edit-chat"], "the page's image loads are not API calls"
    assert _not_reloaded(browser) and console_errors(browser) == []


def test_the_events_view_updates_live_when_a_job_completes(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    _open(browser, server)
    api.post("/edit-chat", json={**JOB, "num_variations": 1})
    wait(browser, lambda b: "batch_edit" in b.find_element(CSS, "#events").text, "the batch_edit notification")
    assert "image_result" not in browser.find_element(CSS, "#events").text
    server.control.advance(5)
    wait(browser, lambda b: "image_result" in b.find_element(CSS, "#events").text, "the image_result notification")
    shown = [row.get_attribute("data-id") for row in browser.find_elements(CSS, "tr.notification")]
    wanted = [str(n["id"]) for n in reversed(server.control.notifications())]
    wait(
        browser,
        lambda b: [r.get_attribute("data-id") for r in b.find_elements(CSS, "tr.notification")] == wanted,
        "every notification, newest first",
    )
    assert len(shown) >= 2 and _not_reloaded(browser)


def test_setting_credits_to_zero_in_the_form_makes_the_next_job_402(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    api.get("/identity")
    _open(browser, server)
    _submit(browser, "#account-form", {"token": TOKEN, "credits": "0"})
    credits = browser.find_element(CSS, f"tr.account[data-token='{TOKEN}'] td.credits")
    assert credits.text == "0" and server.control.account(TOKEN)["credits"] == 0
    assert api.post("/edit-chat", json=JOB).status_code == 402


def test_reset_needs_its_confirmation(server: LiveServer, api: httpx.Client, browser: WebDriver) -> None:
    api.post("/edit-chat", json=JOB)
    _open(browser, server)
    browser.find_element(CSS, "#reset-form button[type=submit]").click()
    box = browser.find_element(CSS, "#reset-form [name=confirm]")
    assert browser.execute_script("return arguments[0].validity.valueMissing", box)
    assert "notice=" not in browser.current_url and len(server.control.journal()) == 1
    box.click()
    browser.find_element(CSS, "#reset-form button[type=submit]").click()
    wait(browser, seen.url_contains("notice="), "the reset")
    assert server.control.journal() == [] and browser.find_elements(CSS, "article.job") == []
    assert "All state was reset." in browser.find_element(CSS, ".notice").text


def test_the_advance_form_moves_the_clock_and_finishes_a_job(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    api.post("/edit-chat", json=JOB)
    _open(browser, server)
    before = server.control.now()
    _submit(browser, "#advance-form", {"seconds": "5"})
    assert server.control.now() == before + 5
    assert "callbacks ran" in browser.find_element(CSS, ".notice").text
    wait(browser, lambda b: _thumbnails_loaded(b) == 2, "the finished job's thumbnails")


def test_a_fault_rule_added_in_the_form_fires_and_can_be_removed(
    server: LiveServer, api: httpx.Client, browser: WebDriver
) -> None:
    _open(browser, server)
    _submit(browser, "#fault-form", {"kind": "status", "status": "503", "path": "/identity", "times": "2"})
    assert len(browser.find_elements(CSS, "tr.fault")) == 1
    assert api.get("/identity").status_code == 503
    wait(browser, lambda b: b.find_element(CSS, "tr.fault").text.split()[-2] == "1", "the rule's hit count")
    browser.find_element(CSS, "tr.fault button[type=submit]").click()
    wait(browser, lambda b: not b.find_elements(CSS, "tr.fault"), "the removal")  # the URL had a notice already
    assert api.get("/identity").status_code == 200


def test_with_a_control_token_the_page_refuses_until_the_token_is_given(browser: WebDriver) -> None:
    with LiveServer(Settings(control_token="s3cret", clock="manual")) as gated:
        browser.get(gated.url + "/_mock/")
        assert browser.find_elements(CSS, "#requests") == [] and browser.find_element(CSS, "#login-form")
        browser.find_element(CSS, "#login-form [name=token]").send_keys("wrong")
        browser.find_element(CSS, "#login-form button").click()
        wait(browser, seen.presence_of_element_located((CSS, "[role=alert]")), "the refusal")
        assert browser.find_elements(CSS, "#requests") == []
        assert network(browser).status(gated.url + "/_mock/ui/login") == 401
        assert all("401 (Unauthorized)" in error for error in console_errors(browser))
        browser.find_element(CSS, "#login-form [name=token]").send_keys("s3cret")
        browser.find_element(CSS, "#login-form button").click()
        wait(browser, seen.presence_of_element_located((CSS, "#requests")), "the dashboard after the token")
        wait(browser, lambda b: b.find_element(CSS, "#live-status").text == "live", "a live poll with the cookie")
        assert console_errors(browser) == []


def test_no_control_answers_404_in_the_browser(browser: WebDriver) -> None:
    with LiveServer(Settings(control=False)) as off:
        browser.get(off.url + "/_mock/")
        assert network(browser).status(off.url + "/_mock/") == 404
        assert browser.find_elements(CSS, "#requests") == []


def test_docs_load_with_every_operation_and_no_other_host(server: LiveServer, browser: WebDriver) -> None:
    browser.get(server.url + "/docs")
    wait(browser, seen.presence_of_element_located((CSS, "#operations .op")), "the reference page")
    assert browser.find_element(CSS, "#operations").text.count("/edit-chat") >= 1
    assert network(browser).hosts() == {f"127.0.0.1:{server.port}"} and console_errors(browser) == []


def test_the_clock_form_switches_the_mode(server: LiveServer, browser: WebDriver) -> None:
    _open(browser, server)
    _submit(browser, "#clock-form", {"mode": "real"})
    assert browser.find_element(CSS, "#clock-mode").text == "real" and server.backend.clock()["mode"] == "real"
    _submit(browser, "#clock-form", {"mode": "manual"})
    assert browser.find_element(CSS, "#clock-mode").text == "manual" and server.backend.clock()["mode"] == "manual"
