"""Page weight and load time of the web pages, in Debian's Chromium, against a running server
(`./dev serve`, or any base URL).

    .venv/bin/python bench/page_weight.py [--base http://127.0.0.1:5000] [--runs 5]

For each page: the HTML, CSS and JS on the wire (compressed, as served) and as files, the
number of requests, requests to other hosts (must be 0), and the median time to the load event
over --runs fresh tabs (no cache). The budget is 200 KB of HTML, CSS and JS per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {
    "home": "/",
    "search with map": "/?near=10001&couples=true&video=true&radius=50",
    "search, text": "/?q=polyamorous%20couples%20gottman",
    "no results": "/?near=10001&radius=1&specialty=sex-therapy&language=spanish",
}
BUDGET = 200 * 1024


def measure(browser, base: str, path: str, runs: int) -> dict:
    """One page's bytes and load times, each run in a fresh context (empty cache)."""
    times, wire, files, count, foreign = [], 0, 0, 0, []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        seen: list = []
        page.on("requestfinished", lambda request, seen=seen: seen.append(request))
        page.goto(base + path, wait_until="load")
        page.wait_for_load_state("networkidle")
        times.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        code = [r for r in seen if r.resource_type in ("document", "stylesheet", "script")]
        wire = sum(r.sizes()["responseBodySize"] for r in code)
        files = sum(len(r.response().body()) for r in code)
        count = len(seen)
        foreign = [r.url for r in seen if not r.url.startswith((base, "data:"))]
        context.close()
    return {
        "path": path,
        "wire_kb": round(wire / 1024, 1),
        "files_kb": round(files / 1024, 1),
        "within_budget": wire <= BUDGET,
        "requests": count,
        "other_hosts": foreign,
        "load_ms_median": round(statistics.median(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    opts = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=opts.chromium, args=FLAGS)
        pages = {name: measure(browser, opts.base, path, opts.runs) for name, path in PAGES.items()}
        probe = browser.new_page()
        probe.goto(opts.base + PAGES["search with map"])
        profile = probe.locator(".result h3 a").first.get_attribute("href")
        pages["profile"] = measure(browser, opts.base, profile, opts.runs)
        browser.close()
    write_report("page-weight", {"base": opts.base, "runs": opts.runs, "pages": pages})


if __name__ == "__main__":
    main()
