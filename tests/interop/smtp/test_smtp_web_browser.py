"""The web inbox in a real browser: headless Chromium (Debian's package) driven by selenium."""

from __future__ import annotations

import json
import urllib.request

import pytest

from peerlib import require_tool
from wirekit.smtp import build_message, send

pytestmark = pytest.mark.interop


@pytest.fixture
def browser(tmp_path):
    chromium = require_tool("chromium")
    driver_path = require_tool("chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        opts.add_argument(arg)
    drv = webdriver.Chrome(
        service=Service(executable_path=driver_path, log_output=str(tmp_path / "chromedriver.log")),
        options=opts,
    )
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


def test_captured_message_appears_in_the_page(wirekit_lab_factory, browser):
    from selenium.webdriver.common.by import By

    svc = wirekit_lab_factory("smtp", store="maildir")
    web = svc.info.endpoints["web"]
    msg = build_message(
        sender="Alice <alice@example.test>",
        to="bob@example.test",
        subject="Browser check <&>",
        text="plain part for the browser",
        html="<h1 id='inner'>Hello HTML</h1><script>window.parent.document.title='pwned'</script>",
        attachments=[("report.csv", b"a,b\n1,2\n", "text/csv")],
    )
    send(svc.endpoint, msg, timeout=10)

    browser.get(web)
    rows = browser.find_elements(By.CSS_SELECTOR, "#messages tr.message")
    assert len(rows) == 1
    # the list is live: a message captured after the page loaded shows up without a reload
    from selenium.webdriver.support.ui import WebDriverWait

    send(
        svc.endpoint,
        sender="carol@example.test",
        to="bob@example.test",
        subject="arrived later",
        text="x",
        timeout=10,
    )
    WebDriverWait(browser, 20).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#messages tr.message")) == 2
    )
    assert (
        browser.find_elements(By.CSS_SELECTOR, "#messages tr.message a.subject")[0].text
        == "arrived later"
    )
    assert browser.find_element(By.ID, "count").text == "2 message(s)"
    rows = browser.find_elements(By.CSS_SELECTOR, "#messages tr.message")
    link = rows[1].find_element(By.CSS_SELECTOR, "a.subject")
    assert link.text == "Browser check <&>"  # escaped in HTML, shown literally
    assert "alice@example.test" in rows[1].text
    link.click()
    assert browser.find_element(By.ID, "subject").text == "Browser check <&>"
    assert "plain part for the browser" in browser.find_element(By.ID, "text").text
    assert "report.csv" in browser.find_element(By.ID, "attachments").text
    # the HTML part renders inside a sandboxed iframe, and its script cannot touch the page
    frame = browser.find_element(By.ID, "html")
    browser.switch_to.frame(frame)
    assert browser.find_element(By.ID, "inner").text == "Hello HTML"
    browser.switch_to.default_content()
    assert browser.title != "pwned"
    # search from the page's form
    browser.get(web + "?q=nomatch")
    assert browser.find_elements(By.CSS_SELECTOR, "#messages tr.message") == []
    assert browser.find_element(By.ID, "count").text.startswith("0 ")


def test_json_api(wirekit_lab_factory):
    svc = wirekit_lab_factory("smtp", store="memory")
    web = svc.info.endpoints["web"]
    send(
        svc.endpoint,
        sender="a@example.test",
        to="b@example.test",
        subject="api",
        text="json please",
        timeout=10,
    )
    with urllib.request.urlopen(web + "api/messages", timeout=10) as r:
        (item,) = json.load(r)
    with urllib.request.urlopen(web + f"api/messages/{item['id']}", timeout=10) as r:
        detail = json.load(r)
    assert detail["text"].strip() == "json please" and detail["envelope_to"] == ["b@example.test"]
    with urllib.request.urlopen(web + f"api/messages/{item['id']}/raw", timeout=10) as r:
        assert b"Subject: api" in r.read()
    req = urllib.request.Request(web + "api/messages", method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.load(r) == {"deleted": 1}
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(web + f"api/messages/{item['id']}", timeout=10)
    assert info.value.code == 404
    info.value.close()
