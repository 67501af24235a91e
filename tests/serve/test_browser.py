"""The page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright opens the page,
uploads a photo, runs ×2, waits for the result, checks the slider, downloads the result and compares it with
the CLI's output, and saves a screenshot (to $RESTORE_SCREENSHOT too when set, as a JPEG: the README's picture).

Run with ``pytest -m browser`` (``.ci/run`` does, after ``apt-get install chromium``)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import EXAMPLES

from .conftest import cli_output, png_bytes

pytestmark = pytest.mark.browser


def chromium() -> str:
    path = os.environ.get("RESTORE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "the browser test needs Chromium: apt-get install chromium (or set RESTORE_CHROMIUM)"
    return path


def test_the_page_runs_sr_and_downloads_the_clis_bytes(served, tmp_path):
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright

    photo = np.asarray(Image.open(EXAMPLES / "coffee.png").convert("RGB"))[60:220, 200:440].copy()
    src = tmp_path / "coffee crop.png"
    src.write_bytes(png_bytes(photo))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 820}, accept_downloads=True)
        page.goto(served.url + "/")
        expect(page.locator("#task option")).to_have_count(12)
        page.select_option("#task", "sr")
        page.fill("#f-scale", "2")
        page.set_input_files("#files", str(src))
        expect(page.locator("#run")).to_have_text("Run on 1 file")
        page.click("#run")
        job = page.locator(".job").first
        expect(job).to_have_class("job done", timeout=120_000)
        expect(job.locator(".cmd")).to_have_text("restore sr INPUT --scale 2")
        expect(page.locator("#stage")).to_have_class("shown")             # the slider opened on the result
        page.locator("#split").fill("35")
        assert page.eval_on_selector("#clip", "e => e.style.width") == "35%"
        page.click("[data-zoom='1']")
        page.locator("#split").fill("50")
        page.click("[data-zoom='fit']")
        with page.expect_download() as info:
            job.get_by_text("Download").click()
        download = info.value
        assert download.suggested_filename == "coffee crop_x2.png"
        got = Path(download.path()).read_bytes()
        shot = tmp_path / "page.png"
        page.screenshot(path=str(shot))
        # the same photo through a second model, and the slider between the two results
        page.select_option("#f-model", "sranynet-sr-s")
        page.click("#run")
        expect(page.locator(".job.done")).to_have_count(2, timeout=120_000)
        page.screenshot(path=str(tmp_path / "compare.png"))
        page.select_option("#left", label="sr · coffee crop.png · srnet-sr-s")
        page.select_option("#right", label="sr · coffee crop.png · sranynet-sr-s")
        expect(page.locator("#tag-left")).to_have_text("sr · coffee crop.png · srnet-sr-s")
        expect(page.locator("#tag-right")).to_have_text("sr · coffee crop.png · sranynet-sr-s")
        expect(page.locator("#zip")).to_be_visible()
        browser.close()
    assert got == cli_output(tmp_path, "sr", [("coffee crop.png", src.read_bytes())], ["--scale", "2"])
    assert shot.stat().st_size > 10_000
    if os.environ.get("RESTORE_SCREENSHOT"):         # the README's picture: docs/serve.jpg
        Image.open(shot).convert("RGB").save(os.environ["RESTORE_SCREENSHOT"], quality=85)
