"""The evidence page in a real browser: Debian's chromium, headless, driven by selenium through
chromium-driver. What a teacher sees: a card per person, every face loaded, the absent names, a
name that looks like a script shown as text (nothing runs), and the page on a phone's screen.

chromium and chromium-driver are system packages (`sh setup-system.sh`, run by `make test`):
without them this test fails, it does not skip.
"""
from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from handler.results.evidence_page import render_page
from tests.page.sheets import ABSENT, NO_CROP, PRESENT, SCRIPT_NAME, course_sheet

PHONE_WIDTH = 390
PHONE_HEIGHT = 844
PNG = b"\x89PNG\r\n\x1a\n"


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or shutil.which("chromium-driver")
    if browser is None or driver is None:
        missing = " and ".join(what for what, path in (("chromium", browser), ("chromium-driver", driver)) if not path)
        pytest.fail(f"{missing} not found on PATH: run `sh setup-system.sh` (or `make system`) to install "
                    "Debian's chromium and chromium-driver", pytrace=False)
    return browser, driver


@contextmanager
def headless_chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def full_page_png(driver: webdriver.Chrome, path: Path) -> bytes:
    """A screenshot of the whole page, not just the window, saved as PNG."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    data = base64.b64decode(shot["data"])
    path.write_bytes(data)
    return data


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG), "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_teacher_sees_every_card_face_and_absent_name(crops: list[bytes], tmp_path: Path) -> None:
    page = tmp_path / "lecture.html"
    page.write_text(render_page(course_sheet(crops), video_bucket="input-bucket",
                                generated_at="2026-12-04T10:00:00Z"), encoding="utf-8")
    with headless_chromium(tmp_path) as browser:
        what_a_teacher_sees(browser, page, tmp_path)


def what_a_teacher_sees(browser: webdriver.Chrome, page: Path, tmp_path: Path) -> None:
    browser.get(page.as_uri())

    # Nothing ran: no alert, no script element, the name is text.
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.title.startswith("Attendance: cse546")

    cards = browser.find_elements(By.CSS_SELECTOR, "li.card")
    assert len(cards) == 8
    names = [card.find_element(By.CSS_SELECTOR, ".name").text for card in cards]
    assert names == [*PRESENT, f"{SCRIPT_NAME} visitor"]
    visitor = cards[-1].find_element(By.CSS_SELECTOR, ".name")
    assert visitor.is_displayed()
    assert browser.execute_script("return arguments[0].firstChild.nodeValue", visitor).strip() == SCRIPT_NAME
    assert browser.find_element(By.CSS_SELECTOR, "p.counts").text == "7 of 10 enrolled present, 1 visitor"

    # Every face loaded, 96 px high; the student without a crop has a placeholder, not a broken image.
    faces = browser.execute_script(
        "return Array.from(document.images, i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(faces) == 7
    assert all(complete and width > 0 and height == 96 for complete, width, height in faces), faces
    placeholder = cards[PRESENT.index(NO_CROP)].find_element(By.CSS_SELECTOR, ".noface")
    assert placeholder.is_displayed() and placeholder.text == "DK"
    assert placeholder.size["width"] == 96 and placeholder.size["height"] == 96

    # Each bar's segments sit where the intervals are: the first student's second stretch,
    # 300-420 s of 600, starts half way along the track.
    track = cards[0].find_element(By.CSS_SELECTOR, ".track")
    segments = track.find_elements(By.CSS_SELECTOR, ".seg")
    assert len(segments) == 2
    offset = segments[1].location["x"] - track.location["x"]
    assert abs(offset - track.size["width"] / 2) <= 1
    assert abs(segments[1].size["width"] - track.size["width"] / 5) <= 1

    absent = browser.find_elements(By.CSS_SELECTOR, "ul.absent li")
    assert [li.text for li in absent] == sorted(ABSENT)
    assert all(li.is_displayed() for li in absent)
    assert browser.find_element(By.CSS_SELECTOR, "p.unrecognised").text == "2 faces matched nobody on the roster."

    # The desktop shot: cards side by side.
    assert len({card.location["y"] for card in cards[:3]}) == 1
    desktop = full_page_png(browser, tmp_path / "page-desktop.png")
    width, height = png_size(desktop)
    assert width >= 1200 and height >= 600 and len(desktop) > 50_000

    # A phone, 390 px wide: one column, nothing wider than the screen.
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE_WIDTH, "height": PHONE_HEIGHT, "deviceScaleFactor": 2, "mobile": True})
    assert browser.execute_script("return window.innerWidth") == PHONE_WIDTH
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE_WIDTH
    cards = browser.find_elements(By.CSS_SELECTOR, "li.card")
    assert len({card.location["x"] for card in cards}) == 1
    assert all(card.size["width"] <= PHONE_WIDTH for card in cards)
    phone = full_page_png(browser, tmp_path / "page-phone.png")
    width, height = png_size(phone)
    assert width == 2 * PHONE_WIDTH and height > 2 * PHONE_HEIGHT and len(phone) > 50_000
    print(f"screenshots: {tmp_path / 'page-desktop.png'} ({len(desktop)} bytes), "
          f"{tmp_path / 'page-phone.png'} ({len(phone)} bytes)")
