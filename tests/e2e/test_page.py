"""The phone page in headless Chromium (Debian's package, driven by its chromedriver) at 390×844, as the people who
use it: a grid worker carries alerts through the whole loop in Chinese and in English; a town officer filters and
pages; a police liaison goes from an alert to a trail through break-the-glass, and finds it in `gridflow audit
access`; a grid worker loses the network, acts, gets it back, and the server applies each command exactly once.
Each screen is saved under docs/img/ (the README shows them)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from gridflow.pipeline import following
from gridflow.relay import authorised, registered, run_here
from gridflow.serving import serving
from tests.conftest import CHDB_DIR, make_config
from tests.integration.alert_world import INSIDE, make_world

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844"):
        options.add_argument(flag)  # a phone-sized window
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    # the window cannot be narrower than 500 px: the viewport is made a phone's (390×844 CSS pixels)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844,
                                                                 "deviceScaleFactor": 1, "mobile": True})
    yield driver
    driver.quit()


class Phone:
    """The page as a person uses it: by what it shows and what one taps."""

    def __init__(self, browser, url):
        self.browser, self.url, self.wait = browser, url, WebDriverWait(browser, 20)

    def find(self, css, within=None):
        return (within or self.browser).find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.browser.find_elements(By.CSS_SELECTOR, css)

    def text(self, css="body"):
        return self.find(css).text

    def until_text(self, css, expected):
        self.wait.until(lambda d: expected in self.text(css), f"{expected!r} in {css}")

    def tap(self, css):
        self.find(css).click()

    def type(self, css, text):
        self.find(css).clear()
        self.find(css).send_keys(text)

    def card(self, alert_id):
        return f'#alerts .card[data-alert-id="{alert_id}"]'

    def log_in(self, token, open_first=True):
        if open_first:
            self.browser.get(self.url + "/")
        self.type("#token", token)
        self.tap("#login-button")
        self.wait.until(lambda d: self.find("#app").is_displayed())

    def shot(self, name):
        """The screen as it is, without the pointer's hover or a focus ring (the same picture on every run)."""
        ActionChains(self.browser).move_to_element(self.find("h1")).perform()
        self.browser.execute_script("document.activeElement && document.activeElement.blur()")
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(SHOTS / f"{name}.png"))


def kinds(world, alert_id):
    return [type(e).__name__ for e in world.population.repository.event_store.get(UUID(alert_id))]


def test_a_grid_worker_carries_alerts_through_the_whole_loop_in_chinese_and_english(config, geography, browser):
    world = make_world(config, geography)
    crowded = world.raise_alert(INSIDE, "over_occupied_dwelling", key="D-0006",
                                evidence={"dwelling": "D-0006", "capacity": "4", "value": 9})
    lodging = world.raise_alert(INSIDE, "grid_lodging_load", key="beds", severity="red",
                                evidence={"beds": "120", "value": 131})
    world.raise_alert(world.outside, "over_occupied_dwelling", key="elsewhere")  # not his grid
    with following(world.projector), serving(world.services) as url:
        phone = Phone(browser, url)
        browser.get(url + "/")
        assert phone.text("#login-button") == "登录"  # Chinese first
        phone.type("#token", "not-a-token")
        phone.tap("#login-button")
        phone.until_text("#notice", "令牌无效或已停用")  # a human message, not a status code
        phone.shot("login-wrong-token")

        phone.log_in(world.tokens["worker"], open_first=False)
        phone.wait.until(lambda d: len(phone.all("#alerts .card")) == 2)  # his grid's alerts only
        listed = phone.text("#alerts")
        assert "房屋 D-0006 登记居住 9 人，超过申报可住 4 人" in listed and "131 / 120" in listed
        assert "109 % · 红色 ≥ 100 %" in listed  # the load, computed from the figures shown beside it
        assert "2026/08/01 10:00" in listed  # raised 02:00 UTC, shown in the district's time (Asia/Shanghai)
        assert "确认时限剩 15 分钟" in listed and "网格" in phone.text(phone.card(crowded) + " .level")
        assert "over_occupied" not in listed and "{" not in listed  # no rule ids, no JSON
        village = geography.villages[geography.grids[INSIDE].village_code].name
        assert village in phone.text(phone.card(crowded) + " .place")
        phone.shot("worker-list-zh")

        phone.tap(phone.card(crowded) + " .open-detail")
        for button, text, shown in (("#do-ack", "已上门核实，房东在场", "确认收到"),
                                    ("#do-note", "房东承诺本周内迁出两人", "处理记录"),
                                    ("#do-resolve", "两人已迁出，现居住 4 人", "处置完毕")):
            phone.wait.until(lambda d, b=button: phone.find(b).is_displayed())
            phone.type("#note", text)
            phone.tap(button)
            phone.until_text("#history", text)
            assert shown in phone.text("#history")
        phone.until_text("#detail-card .alert-status", "已处置")
        assert "网格员" in phone.text("#history")  # who did it
        phone.shot("worker-detail-zh")

        phone.tap("#back")
        phone.wait.until(lambda d: not phone.all(phone.card(crowded)))  # gone from the open list
        phone.tap("#tab-resolved")
        phone.until_text(phone.card(crowded), "两人已迁出，现居住 4 人")  # the outcome, on the resolved tab

        phone.tap("#lang")  # English, remembered across a reload
        phone.until_text("#tab-resolved", "Resolved")
        browser.refresh()
        phone.wait.until(lambda d: phone.text("#tab-open") == "Open" and phone.find("#app").is_displayed())
        phone.tap("#tab-open")
        phone.until_text(phone.card(lodging), "131 lodged visitors for 120 beds in the grid: 109 %")
        phone.shot("worker-list-en")
        phone.tap(phone.card(lodging) + " .open-detail")
        for button, text, shown in (("#do-ack", "Checking the guesthouses now", "acknowledged"),
                                    ("#do-note", "Two guesthouses take walk-ins unregistered", "handling note"),
                                    ("#do-escalate", "Needs the town's tourism office", "handed up to the town")):
            phone.wait.until(lambda d, b=button: phone.find(b).is_displayed())
            phone.type("#note", text)
            phone.tap(button)
            phone.until_text("#history", shown)
            assert text in phone.text("#history")
        phone.until_text("#detail-card .level", "town")
        phone.shot("worker-detail-en")
        phone.tap("#logout")
        phone.wait.until(lambda d: phone.find("#login").is_displayed())
    assert kinds(world, crowded) == ["Raised", "Acknowledged", "NoteAdded", "Resolved"]
    assert kinds(world, lodging) == ["Raised", "Acknowledged", "NoteAdded", "Escalated"]


def test_a_town_officer_filters_by_grid_severity_and_rule_and_pages_through(config, geography, browser):
    world = make_world(config, geography)
    grids = sorted(geography.grids_of_town(geography.grids[INSIDE].town_code))[:3]
    for n in range(25):  # grids[1]: n = 1, 4, … 22 (8); of those over-occupied: 4, 13, 22; red among them: 4, 22
        rule = ("group_rental", "over_occupied_dwelling", "inflow_surge")[n // 3 % 3]
        world.desk.raise_or_repeat(
            fingerprint=f"{rule}:{n}", rule_id=rule, severity=("red", "orange")[n % 2],
            grid_code=grids[n % 3], town_code=geography.grids[grids[0]].town_code, summary="",
            evidence={"dwelling": f"D-{n}", "capacity": "4", "value": 6}, ack_sla_s=900, at=world.now[0],
            source="test")
    world.project()
    with following(world.projector), serving(world.services) as url:
        phone = Phone(browser, url)
        phone.log_in(world.tokens["town"])
        phone.until_text("#page-info", "第 1/2 页 · 共 25 条")
        assert len(phone.all("#alerts .card")) == 20
        phone.tap("#next")
        phone.until_text("#page-info", "第 2/2 页 · 共 25 条")
        assert len(phone.all("#alerts .card")) == 5
        Select(phone.find("#f-grid")).select_by_value(grids[1])
        phone.until_text("#page-info", "共 8 条")
        Select(phone.find("#f-rule")).select_by_value("over_occupied_dwelling")
        phone.until_text("#page-info", "共 3 条")
        Select(phone.find("#f-severity")).select_by_value("red")
        phone.until_text("#page-info", "第 1/1 页 · 共 2 条")
        cards = phone.all("#alerts .card")
        assert len(cards) == 2 and all("红色" in c.text and "房屋超员居住" in c.text for c in cards)
        phone.shot("town-filters")


def test_a_liaison_goes_from_an_alert_to_a_trail_by_breaking_the_glass_and_it_is_audited(tmp_path, geography,
                                                                                           browser):
    # a fixed pseudonym key: the handles on the screenshots stay the same from run to run
    config = make_config(tmp_path / "gf", GRIDFLOW_PSEUDONYM_KEY="screenshots-of-the-liaison-page")
    world = make_world(config, geography)
    world.raise_priority_alert()
    world.raise_alert(INSIDE, "group_rental", key="not-for-the-liaison")
    system = world.system
    world.services.relay = lambda argv: run_here(system, argv)
    world.services.relay_authorised = lambda header: authorised(config, header)
    with following(world.projector), serving(world.services) as url, registered(config, url):
        phone = Phone(browser, url)
        phone.log_in(world.tokens["liaison"])
        person = f'#person-list .card[data-handle="{world.inside_handle}"]'
        phone.until_text(person, "社区矫正对象")
        assert len(phone.all("#person-list .card")) == 1 and "从未走访" in phone.text(person)
        assert world.inside_person not in phone.text() and world.id_numbers[0] not in phone.text()
        phone.shot("liaison-persons")

        phone.tap("#tab-open")
        phone.wait.until(lambda d: len(phone.all("#alerts .card")) == 1)  # priority alerts only
        assert "重点人员于 2026-08-01 10:05 离开责任网格" in phone.text("#alerts")
        phone.tap("#alerts .card .trail")
        phone.wait.until(lambda d: phone.find("#glass").is_displayed())
        phone.tap("#glass-ok")
        phone.until_text("#glass-error", "请写明事由")  # no reason, no glass broken
        phone.type("#glass-reason", "离开责任网格预警，核实去向")
        phone.shot("liaison-break-the-glass")
        phone.tap("#glass-ok")
        phone.until_text("#trail-list", "见到")
        assert geography.villages[geography.grids[INSIDE].village_code].name in phone.text("#trail-list")
        phone.shot("liaison-trail")

        phone.tap("#trail-back")
        phone.tap("#tab-persons")
        phone.type("#lookup-id", world.id_numbers[0])
        phone.type("#lookup-reason", "案件 2026-118 核查")
        phone.tap("#lookup-go")
        phone.until_text("#trail-head", world.inside_handle)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "GRIDFLOW_"))}
        env.update(GRIDFLOW_DATA_DIR=str(config.data_dir), GRIDFLOW_CLICKHOUSE=f"chdb://{CHDB_DIR}",
                   GRIDFLOW_CLICKHOUSE_DATABASE=config.clickhouse_database)
        deadline = time.monotonic() + 20
        while True:  # the projector follows the store a moment behind
            audit = subprocess.run([sys.executable, "-m", "gridflow.cli", "audit", "access", "--since",
                                    "2026-01-01T00:00:00+08:00"], env=env, capture_output=True, text=True,
                                   timeout=120)
            if "案件 2026-118 核查" in audit.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert audit.returncode == 0 and "running there" in audit.stderr, audit.stderr[-2000:]
    lines = audit.stdout.splitlines()
    assert any("liaison" in line and "priority trail" in line and "离开责任网格预警，核实去向" in line
               for line in lines)
    assert any("priority look-up" in line and world.inside_handle in line for line in lines)
    assert world.id_numbers[0] not in audit.stdout


def test_offline_the_phone_keeps_the_list_and_the_commands_and_the_server_applies_each_once(config, geography,
                                                                                          browser):
    world = make_world(config, geography)
    kept = world.raise_alert(INSIDE, "group_rental", key="kept", evidence={"dwelling": "D-1", "value": 6})
    moved = world.raise_alert(INSIDE, "group_rental", key="moved", evidence={"dwelling": "D-2", "value": 7})
    world.raise_alert(INSIDE, "group_rental", key="calm", evidence={"dwelling": "D-3", "value": 5})
    with following(world.projector), serving(world.services) as url:
        phone = Phone(browser, url)
        phone.log_in(world.tokens["worker"])
        phone.wait.until(lambda d: len(phone.all("#alerts .card")) == 3)
        phone.wait.until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", OFFLINE)
        try:
            phone.tap(phone.card(kept) + " .ack")  # one tap, no network
            phone.until_text("#notice", "已保存在手机上，联网后自动发送")
            phone.until_text("#status", "1 条操作待发送")
            browser.refresh()  # the app shell from the service worker, the list from the phone
            phone.wait.until(lambda d: phone.find("#app").is_displayed())
            phone.until_text("#status", "离线 · 列表为刚才的 · 1 条操作待发送")
            phone.wait.until(lambda d: len(phone.all("#alerts .card")) == 2)  # kept is acknowledged (here)
            phone.tap(phone.card(moved) + " .ack")
            phone.tap("#tab-acknowledged")
            phone.until_text(phone.card(kept), "待发送")
            phone.shot("offline-queued")
            phone.tap(phone.card(kept) + " .open-detail")
            phone.wait.until(lambda d: phone.find("#do-resolve").is_displayed())
            phone.type("#note", "已核实：一户五人，已登记")
            phone.tap("#do-resolve")
            phone.until_text("#status", "3 条操作待发送")
            queued = browser.execute_script("return localStorage.getItem('gridflow-queue')")
            world.now[0] = world.now[0].replace(minute=30)  # meanwhile the clock hands `moved` up to the town
            world.desk.escalate_due([UUID(moved)], world.now[0])
        finally:
            browser.execute_cdp_cmd("Network.emulateNetworkConditions", ONLINE)
        phone.until_text("#notice", "该预警已上报至镇街，请刷新后再处理")  # the page says it moved meanwhile
        phone.wait.until(lambda d: "待发送" not in phone.text("#status"))
        # the queue sent again (as if the answers had been lost on the way): applied once, the page is told so
        browser.execute_script("localStorage.setItem('gridflow-queue', arguments[0]); flush();", queued)
        phone.until_text("#notice", "该操作此前已提交，未重复执行")
        phone.wait.until(lambda d: "待发送" not in phone.text("#status"))
    assert kinds(world, kept) == ["Raised", "Acknowledged", "Resolved"]
    assert kinds(world, moved) == ["Raised", "Escalated"]  # its acknowledgement was refused: 409, not applied
