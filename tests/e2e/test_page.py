"""The grid-worker page in headless Chromium (Debian's package, driven by its chromedriver): log in as a grid
worker, acknowledge an alert with a note, see it move from the open list to the acknowledged one."""
from __future__ import annotations

import shutil
from uuid import UUID

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from gridflow.pipeline import following
from gridflow.serving import serving
from tests.integration.alert_world import INSIDE, make_world


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844"):
        options.add_argument(flag)  # a phone-sized window
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    yield driver
    driver.quit()


def test_a_grid_worker_acknowledges_an_alert_on_the_phone_page(config, geography, browser):
    world = make_world(config, geography)
    alert_id = world.raise_alert(INSIDE, rule_id="over_occupied_dwelling", key="D-0006")
    world.raise_alert(world.outside, rule_id="over_occupied_dwelling", key="elsewhere")  # not his grid
    worker_token = world.tokens["worker"]
    wait = WebDriverWait(browser, 20)
    card = f'.card[data-alert-id="{alert_id}"]'
    with following(world.projector), serving(world.services) as url:
        browser.get(url + "/")
        assert browser.find_element(By.ID, "login-button").text == "登录"  # Chinese first
        browser.find_element(By.ID, "token").send_keys(worker_token)
        browser.find_element(By.ID, "login-button").click()
        wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, card)))
        assert len(browser.find_elements(By.CSS_SELECTOR, ".card")) == 1  # only his grid's alert

        browser.find_element(By.CSS_SELECTOR, f"{card} .ack-note").send_keys("已上门核实")
        browser.find_element(By.CSS_SELECTOR, f"{card} .ack").click()
        wait.until(ready.invisibility_of_element_located((By.CSS_SELECTOR, card)))  # gone from the open list

        browser.find_element(By.ID, "tab-acknowledged").click()
        acknowledged = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, card)))
        assert acknowledged.find_element(By.CSS_SELECTOR, ".alert-status").text == "已确认"
        assert "worker" in acknowledged.text

        browser.find_element(By.ID, "lang").click()  # the English switch
        wait.until(lambda d: d.find_element(By.ID, "tab-acknowledged").text == "Acknowledged")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{card} .alert-status").text == "acknowledged")
    assert world.desk.alert(UUID(alert_id)).acknowledged["note"] == "已上门核实"
