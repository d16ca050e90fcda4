"""The Mini App in a real browser: headless Chromium (Debian's `chromium` with
`chromium-driver`, driven by Selenium) at phone width opens the page as an editor,
sorts, filters, searches, edits a price and sees the engine's new margin, tries a price
under the floor and sees the confirm; a viewer sees no edit controls. The editor's view
is saved to docs/miniapp.png (shown in the README)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, Team
from bot.i18n import Translator
from bot.services.plan import PlanRow, build_plan
from bot.telegram_stub import BotApiStub, User
from bot.web.miniapp import demo_url, miniapp_routes
from tests.conftest import TestDatabase
from tests.e2e.conftest import BotHarness, make_settings
from tests.e2e.miniapp_support import NOW, World, build_world, serve

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "miniapp.png"
WAIT = 30.0
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
}


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which(CHROMEDRIVER) or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if chromium and driver:
        return chromium, driver
    missing = f"chromium at {CHROMIUM} and chromedriver at {CHROMEDRIVER} are needed"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing} (CI installs them: apt-get install chromium chromium-driver)")
    pytest.skip(f"{missing}; install Debian's chromium and chromium-driver to run this test")


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        # offline here: Telegram's script fails at once instead of waiting for DNS
        "--host-resolver-rules=MAP telegram.org ~NOTFOUND",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    # a phone's viewport exactly (headless Chromium's windows are at least 500 px wide)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1, "touch": True}},
    )
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def harness(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    bot = BotHarness(stub, make_settings(stub, database), clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


async def engine_rows(harness: BotHarness, campaign_id: int) -> dict[str, PlanRow]:
    async with harness.uow_factory() as uow:
        campaign = await uow.session.scalar(select(Campaign).where(Campaign.id == campaign_id))
        assert campaign is not None
        team = await uow.session.get(Team, campaign.team_id)
        assert team is not None
        plan = await build_plan(uow, team, campaign, NOW)
    return {row.code: row for row in [*plan.rows, *plan.others]}


def page_for(
    harness: BotHarness, base: str, world: World, user: User, theme: dict[str, str]
) -> str:
    url = demo_url(
        harness.settings,
        base,
        user.id,
        campaign_id=world.campaign_id,
        first_name=user.first_name,
        now=int(NOW.timestamp()),
    )
    return f"{url}&tgWebAppThemeParams={quote(json.dumps(theme))}"


class Page:
    """Small synchronous helpers over the Selenium driver (run in a thread)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def wait(self, condition: Callable[[Any], Any], message: str) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT).until(condition, message)

    def css(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def one(self, selector: str) -> Any:
        return self.wait(lambda d: (self.css(selector) or [None])[0], f"no {selector}")

    def rows(self) -> list[Any]:
        return self.css("#plan tbody tr[data-sku]")

    def margins(self) -> list[Decimal | None]:
        values = [row.get_attribute("data-margin") for row in self.rows()]
        return [Decimal(v) if v else None for v in values]

    def row(self, code: str) -> Any:
        return self.one(f'#plan tbody tr[data-code="{code}"]')

    def select(self, selector: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.one(selector)).select_by_value(value)

    def background(self) -> str:
        return str(
            self.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        )


def editor_session(
    driver: Any, url: str, rows: dict[str, PlanRow], new_price: Decimal, screenshot: Path | None
) -> dict[str, Any]:
    page = Page(driver)
    driver.get(url)
    page.wait(lambda d: len(page.rows()) == len(rows), "the table did not fill")
    seen: dict[str, Any] = {
        "background": page.background(),
        "width": driver.execute_script("return window.innerWidth"),
    }
    assert page.css("#chart svg rect.bar"), "no margin chart"
    assert page.css("#target-line")

    # sort by margin: ascending, then descending (SKUs without a margin stay last)
    header = page.one('#plan th[data-key="margin"] button')
    header.click()
    page.wait(
        lambda d: (
            page.one('#plan th[data-key="margin"]').get_attribute("aria-sort") == "descending"
        ),
        "no descending sort",
    )  # margin is the default sort: the first click turns it around
    descending = page.margins()
    header.click()
    page.wait(
        lambda d: page.one('#plan th[data-key="margin"]').get_attribute("aria-sort") == "ascending",
        "no ascending sort",
    )
    ascending = page.margins()
    seen["descending"], seen["ascending"] = descending, ascending
    page.one('#plan th[data-key="code"] button').click()
    page.wait(lambda d: page.rows()[0].get_attribute("data-code") == "BF00", "code sort")

    # filter by status, then by margin against the target
    page.select("#status-filter", "ok")
    seen["ok_statuses"] = {r.get_attribute("data-status") for r in page.rows()}
    page.select("#status-filter", "")
    page.select("#margin-filter", "at")
    seen["at_margins"] = page.margins()
    page.select("#margin-filter", "")
    # search by SKU
    search = page.one("#search")
    search.send_keys("bf1")
    seen["found"] = sorted(r.get_attribute("data-code") for r in page.rows())
    search.clear()
    search.send_keys(" ")  # `clear` fires no input event; any key does
    search.clear()
    driver.execute_script("document.getElementById('search').dispatchEvent(new Event('input'))")
    page.wait(lambda d: len(page.rows()) == len(rows), "search not cleared")

    # edit one price inline: the server's new margin appears in the row
    page.row("BF00").find_element("css selector", "button.edit").click()
    price = page.one('tr.editor input[name="price"]')
    price.clear()
    price.send_keys(format(new_price, "f"))
    page.one("tr.editor button.save").click()
    page.wait(lambda d: "BF00" in page.one("#flash").text, "no saved message")
    seen["flash"] = page.one("#flash").text
    seen["bf00_margin"] = page.row("BF00").find_element("css selector", "td.margin").text
    seen["bf00_price"] = page.row("BF00").find_element("css selector", "td.planned_price").text
    driver.execute_script("window.scrollTo(0, 0)")
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))

    # a price under the floor: asked first, saved only when confirmed
    page.row("BF02").find_element("css selector", "button.edit").click()
    price = page.one('tr.editor input[name="price"]')
    price.clear()
    price.send_keys("1.00")
    page.one("tr.editor button.save").click()
    seen["question"] = page.one(".confirm .question").text
    seen["bf02_before"] = page.row("BF02").find_element("css selector", "td.planned_price").text
    page.one(".confirm button.save-anyway").click()
    page.wait(lambda d: "BF02" in page.one("#flash").text, "no saved message after confirm")
    seen["bf02_status"] = page.row("BF02").find_element("css selector", "td.status").text
    seen["bf02_after"] = page.row("BF02").find_element("css selector", "td.planned_price").text
    page.select("#margin-filter", "below")  # BF02 is now far below the target
    seen["below_codes"] = [r.get_attribute("data-code") for r in page.rows()]
    seen["below_margins"] = page.margins()
    return seen


def viewer_session(driver: Any, url: str, total: int) -> dict[str, Any]:
    page = Page(driver)
    driver.get("about:blank")  # a new page: the same URL with another fragment would not load
    driver.get(url)
    page.wait(lambda d: len(page.rows()) == total, "the viewer's table did not fill")
    return {
        "edit_buttons": len(page.css("button.edit")),
        "read_only": page.one("#read-only").text,
        "margin_header": page.one('#plan th[data-key="margin"]').text,
        "background": page.background(),
        "lang": driver.execute_script("return document.title"),
    }


@pytest.mark.slow
async def test_the_mini_app_in_a_phone_sized_browser(
    harness: BotHarness, browser: Any, database: TestDatabase
) -> None:
    world = await build_world(harness)
    rows = await engine_rows(harness, world.campaign_id)
    bf00 = rows["BF00"]
    assert bf00.customer_floor is not None and bf00.enrolled
    new_price = bf00.customer_floor + Decimal(1)
    en = Translator("en")
    assert harness.app is not None
    async with serve(miniapp_routes(harness.app, harness.settings)) as base:
        seen = await asyncio.to_thread(
            editor_session,
            browser,
            page_for(harness, base, world, world.editor, LIGHT),
            rows,
            new_price,
            SCREENSHOT if database.backend == "sqlite" else None,  # one writer of the file
        )
        after = await engine_rows(harness, world.campaign_id)
        viewer = await asyncio.to_thread(
            viewer_session, browser, page_for(harness, base, world, world.viewer, DARK), len(rows)
        )

    assert seen["width"] == 390  # a phone's width
    assert seen["background"] == "rgb(255, 255, 255)"  # Telegram's light theme
    priced = [m for m in seen["ascending"] if m is not None]
    assert priced == sorted(priced) and len(priced) >= 3
    assert seen["ascending"][len(priced) :] == [None] * (len(seen["ascending"]) - len(priced))
    assert [m for m in seen["descending"] if m is not None] == sorted(priced, reverse=True)
    assert seen["ok_statuses"] == {"ok"}
    target = Decimal("0.15")
    assert len(seen["at_margins"]) >= 3
    assert all(m is not None and m >= target for m in seen["at_margins"])
    assert "BF02" in seen["below_codes"]
    assert all(m is not None and m < target for m in seen["below_margins"])
    assert seen["found"] == sorted(code for code in rows if code.startswith("BF1"))

    # the margin the page shows is the engine's, recomputed by the server
    assert after["BF00"].planned_price == new_price
    assert after["BF00"].margin is not None and after["BF00"].margin != bf00.margin
    assert seen["bf00_margin"] == en.percent(after["BF00"].margin)
    assert seen["bf00_price"] == en.money(new_price, "USD")
    assert en.percent(after["BF00"].margin) in seen["flash"]

    assert "under its floor" in seen["question"]
    assert seen["bf02_before"] == en.money(rows["BF02"].planned_price or Decimal(0), "USD")
    assert seen["bf02_after"] == en.money(Decimal("1.00"), "USD")
    assert "under floor, accepted" in seen["bf02_status"]
    assert after["BF02"].planned_price == Decimal("1.00")

    # the viewer: read-only, in German, in Telegram's dark theme
    assert viewer["edit_buttons"] == 0
    assert viewer["read_only"]
    assert viewer["margin_header"].startswith("Marge")
    assert viewer["background"] == "rgb(33, 33, 33)"
    assert SCREENSHOT.stat().st_size > 10_000
