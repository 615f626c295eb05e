"""Click-to-settled time of the explorer in a real browser (Debian's chromium, Playwright).

Run: ``make bench-browser`` or ``.venv/bin/python bench/bench_browser.py [--clicks N]``.
Starts ``streamlit run`` on a free loopback port, opens the page, then clicks answers in
the sidebar's safety check (cycling Yes / No / Unknown over a few questions). For each
click it measures, in the page's own clock, the time from the click to the last change
of the page (a MutationObserver over the whole document), once the rerun has finished
(no status widget), the URL holds the answer, and nothing has changed for ``QUIET`` ms.
Also times the first visit (navigation to the questions drawn) and a view switch.
Prints medians; not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUIET = 400  # ms without a DOM change that counts as settled
OBSERVE = """() => {
  window.__last = performance.now();
  new MutationObserver(() => { window.__last = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
SETTLED = """([t0, quiet, present, absent]) => {
  const busy = document.querySelector('[data-testid="stStatusWidget"]');
  const q = location.search;
  return !busy && (present === "" || q.includes(present)) && (absent === "" || !q.includes(absent))
    && window.__last > t0 && performance.now() - window.__last > quiet;
}"""
QUESTIONS = ["one_leg_swelling", "warmth_redness", "cannot_bear_weight"]
CYCLE = [("Yes", "yes"), ("No", "no"), ("Unknown", "")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


def settle(page, t0: float, present: str, absent: str) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds from ``t0`` (page clock) to the last DOM change once settled.

    Settled: no rerun in flight, the URL holds ``present`` and not ``absent``, and no
    change for ``QUIET`` ms.
    """
    arg = [t0, QUIET, present, absent]
    page.wait_for_function(SETTLED, arg=arg, timeout=120_000, polling=50)
    return float(page.evaluate("() => window.__last")) - t0


def click(page, locator, present: str, absent: str = "") -> float:  # type: ignore[no-untyped-def]
    locator.scroll_into_view_if_needed()
    t0 = float(page.evaluate("() => performance.now()"))
    locator.click()
    return settle(page, t0, present, absent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=18, help="answers clicked")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from model import load_model

    variables = load_model().variables
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "explorer.py"),
        "--server.port", str(port), "--server.headless", "true",
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            t = time.perf_counter()
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_test_id("stRadio").first.wait_for(timeout=120_000)
            first = time.perf_counter() - t
            page.evaluate(OBSERVE)
            times: list[float] = []
            for i in range(args.clicks):
                vid = QUESTIONS[i % len(QUESTIONS)]
                label, state = CYCLE[(i // len(QUESTIONS)) % len(CYCLE)]
                radio = page.get_by_test_id("stRadio").filter(has_text=variables[vid].question)
                option = radio.get_by_text(label, exact=True)
                if state:
                    times.append(click(page, option, f"{vid}={state}"))
                else:  # back to unknown: the parameter leaves the URL
                    times.append(click(page, option, "", f"{vid}="))
            switch = []
            for name, present, absent in (
                ("For clinicians: numbers and sources", "view=expert", ""),
                ("For runners: plain words", "", "view=expert"),
            ):
                switch.append(click(page, page.get_by_text(name), present, absent))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"first visit, navigation to the questions drawn: {first * 1e3:.0f} ms")
    print(
        f"answer click to settled: median {statistics.median(times):.0f} ms "
        f"(n={len(times)}, min {min(times):.0f}, max {max(times):.0f}; quiet window {QUIET} ms "
        "not included)"
    )
    print(f"view switch to settled: {', '.join(f'{x:.0f} ms' for x in switch)}")


if __name__ == "__main__":
    main()
