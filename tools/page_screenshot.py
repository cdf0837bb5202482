"""A screenshot of a briefing page in headless Chromium, for the README's pictures of the pages.

    python tools/page_screenshot.py out/udcg/report.html docs/images/briefing-page.png
    python tools/page_screenshot.py out/udcg/report-interactive.html \\
        docs/images/interactive-page.png --height 1400

The page is opened from the file, as a reader opens it, in Debian's Chromium (``/usr/bin/chromium``,
driven by Playwright from the test extra) with the network switched off, and the top ``--height``
pixels of a 1,280-pixel-wide window are saved once the charts have drawn. It needs the environment
``make test`` installs.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

#: As the browser test starts it: no sandbox (root in CI), and none of Chromium's own traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="report.html or report-interactive.html")
    parser.add_argument("png", type=Path, help="the screenshot to write")
    parser.add_argument("--height", type=int, default=1100, help="pixels from the top")
    parser.add_argument("--width", type=int, default=1280, help="the window's width")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        # Only the page itself: anything else it asks for is refused, as offline.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("file:", "data:")) else route.abort())
        page.goto(args.page.resolve().as_uri(), wait_until="load")
        # vega-embed draws after the load event: wait for every chart's marks.
        page.wait_for_function("document.querySelectorAll('.vega-embed').length === "
                               "document.querySelectorAll('.vega-embed svg.marks, "
                               ".vega-embed canvas').length")
        page.screenshot(path=str(args.png))
        browser.close()
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
