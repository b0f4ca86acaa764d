"""The reader snippet on a slow network, in Chromium (a benchmark, not a test).

    .venv/bin/python bench/snippet.py [--runs 15] [--latency 300]

Serves a news-like page and the snippet files from a local server, and drives Debian's
Chromium through Playwright with Chromium's own network throttling (``--latency`` ms added
to every request, DevTools' Network.emulateNetworkConditions). Each run is a fresh browser
context (a cold cache), as a reader arriving from a search engine. Two versions side by side:

- ``now``: ``static/js/errata.js`` and its per-language dialog file;
- ``0.1.0``: the previous release's files (``bench/baseline/``), which fetch the dialog only
  on the first Ctrl+Enter.

Measured per run (issue 16, §6):

1. **first use**: the reader selects text with the mouse, presses Ctrl+Enter one second
   later; the time from the key event to the first animation frame in which the dialog is
   open (target: under 100 ms);
2. **later use**: Esc, a new selection, Ctrl+Enter again: the same time (target: under 16 ms);
3. **page load**: main-thread time of errata.js during page load (target: under 1 ms), from
   a Chromium trace: the thread CPU time (``tdur``) of the file's EvaluateScript and
   FunctionCall events, i.e. compiling and running it, the hint included, and any
   DOMContentLoaded listener. CPU time, not wall time: a page's main thread also waits in
   synchronous calls, e.g. the first ``localStorage`` read of a fresh profile, which 0.1.0
   made at load (now two seconds later). Measured on two pages: ``bare``, where errata.js is
   the only script, and ``page js``, where an inline script of the page has already used
   ``document``, ``navigator``, ``querySelectorAll`` and ``matchMedia``, as a news page's own
   scripts always have. The difference matters: Chromium builds the JavaScript side of
   ``document`` (and of each kind of element) on first use, and the first script to touch
   it pays. Two floors are measured the same way: ``empty``, a one-line script
   (``window.Errata = {}``), and ``currentScript``, one that only reads
   ``document.currentScript.dataset``, the least any loader configured by its tag must do.
   Next to it, side by side with the same page without any snippet (``none``): the whole
   renderer main thread's CPU time from navigation to 100 ms after the load event (every
   top-level task, so parsing, style, layout and paint too), and its difference from
   ``none``. That difference is much noisier (the page's own ~20 ms vary by more than 1 ms
   from run to run), which is why the attributed figure is the one the target is about.

Pages are loaded round-robin (one of each per round), so drift on a shared machine hits every
version alike. Printed: median and 90th percentile of each, per version.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VERSIONS = {"now": ROOT / "static" / "js", "0.1.0": ROOT / "bench" / "baseline"}

PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Статья</title>
{page_js}</head>
<body><article>
<h1>Совет министров обсудил бюджет</h1>
<p id="p">Совет министров собрался в четверг, чтобы обсудить новый бюджет города на следующий
год, и принял его после долгих споров.</p>
{paragraphs}
</article>
<p class="hint"></p>
{tag}
</body></html>"""
TAG = """<script src="/{version}/errata.js" data-site="bench" data-root="article" data-hint=".hint"
 defer></script>"""
# What a news page's own scripts have done before errata.js runs (the "page js" page).
PAGE_JS = """<script>document.title; navigator.language; document.documentElement.lang;
document.querySelectorAll("p").forEach((e) => e.dataset); matchMedia("(min-width: 1px)").matches;
</script>"""
# The floors: the least a script can cost, and the least a loader configured by its tag can.
FLOORS = {"empty": "window.Errata = {};\n",
          "currentScript": "window.Errata = {}; document.currentScript.dataset;\n"}
FILLER = "<p>Абзац {i}: текст статьи, чтобы страница была похожа на настоящую новость.</p>"

WATCH = """() => {
  window.__key = 0; window.__seen = 0;
  addEventListener('keydown', (e) => { if (e.key == 'Enter') window.__key = e.timeStamp; }, true);
  const open = () => [...document.querySelectorAll('errata-ui')].some(
      (h) => h.shadowRoot && h.shadowRoot.querySelector('dialog[open]'));
  const tick = (t) => {
    if (window.__key && open()) window.__seen = t; else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def serve(paragraphs: int):
    def app(environ, start_response):
        req = Request(environ)
        parts = req.path.strip("/").split("/")
        if len(parts) == 1 and (parts[0] in VERSIONS or parts[0] == "none"):
            version = parts[0]
            body = PAGE.format(
                page_js=PAGE_JS if "page-js" in req.args else "",
                tag="" if version == "none" else TAG.format(version=version),
                paragraphs="\n".join(FILLER.format(i=i) for i in range(paragraphs)))
            return Response(body, mimetype="text/html")(environ, start_response)
        if len(parts) == 2 and parts[0] in VERSIONS and (VERSIONS[parts[0]] / parts[1]).is_file():
            return Response((VERSIONS[parts[0]] / parts[1]).read_bytes(),
                            mimetype="text/javascript")(environ, start_response)
        return Response(status=404)(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def drag_select(page, css: str) -> None:
    """Select the element's first line with the mouse, as a reader does."""
    page.locator(css).scroll_into_view_if_needed()
    box = page.locator(css).bounding_box()
    y = box["y"] + 10
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(box["x"] + 2 + step * 40, y)
    page.mouse.up()


def wait_open(page) -> float:
    page.wait_for_function("() => window.__seen > 0", timeout=15_000)
    return page.evaluate("() => window.__seen - window.__key")


def one_run(browser, base: str, version: str, latency: int) -> tuple[float, float]:
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        page.goto(f"{base}/{version}")
        page.wait_for_function("() => window.Errata")
        drag_select(page, "#p")
        page.wait_for_timeout(1000)
        page.evaluate(WATCH)
        page.keyboard.press("Control+Enter")
        first = wait_open(page)
        page.keyboard.press("Escape")
        page.wait_for_function("""() => ![...document.querySelectorAll('errata-ui')].some(
            (h) => h.shadowRoot && h.shadowRoot.querySelector('dialog[open]'))""")
        drag_select(page, "h1")
        page.wait_for_timeout(200)
        page.evaluate(WATCH)
        page.keyboard.press("Control+Enter")
        later = wait_open(page)
        return first, later
    finally:
        context.close()


def load_cost(browser, base: str, version: str, page_js: bool, tmp: Path) -> tuple[float, float]:
    """Milliseconds of main-thread CPU time while the page loads: errata.js's own, and the
    whole renderer main thread's (every top-level task, to 100 ms after the load event)."""
    context = browser.new_context()
    page = context.new_page()
    trace = tmp / f"trace-{version}.json"
    browser.start_tracing(page=page, path=str(trace), categories=["devtools.timeline", "toplevel"])
    url = f"{base}/{version}" + ("?page-js" if page_js else "")
    try:
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)
    finally:
        browser.stop_tracing()
        context.close()
    events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    own = 0.0
    for e in events:
        src = ((e.get("args") or {}).get("data") or {}).get("url") or ""
        if e.get("ph") == "X" and src.endswith(f"/{version}/errata.js") and e.get("name") in (
                "EvaluateScript", "FunctionCall"):
            own += e.get("tdur", e.get("dur", 0)) / 1000
    # The page's main thread: the one that parsed it.
    main = {(e["pid"], e["tid"]) for e in events if e.get("name") == "ParseHTML"
            and ((e.get("args") or {}).get("beginData") or {}).get("url") == url}
    whole = sum(e.get("tdur", 0) for e in events if (e.get("pid"), e.get("tid")) in main
                and e.get("ph") == "X" and e.get("name") == "ThreadControllerImpl::RunTask")
    return own, whole / 1000


def summary(values: list[float], digits: int = 1) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return f"median {statistics.median(values):7.{digits}f} ms  p90 {p90:7.{digits}f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--paragraphs", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = serve(args.paragraphs)
    base = f"http://127.0.0.1:{server.server_port}"

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        print(f"Chromium {browser.version}, {args.latency} ms added latency, "
              f"{args.runs} runs per version, {args.paragraphs + 2} paragraphs")
        for name, text in FLOORS.items():
            (Path(tmp) / name).mkdir()
            (Path(tmp) / name / "errata.js").write_text(text)
            VERSIONS[name] = Path(tmp) / name
        for version in ("now", "0.1.0"):
            firsts, laters = [], []
            for _ in range(args.runs):
                first, later = one_run(browser, base, version, args.latency)
                firsts.append(first)
                laters.append(later)
            print(f"{version:6} first use  {summary(firsts)}")
            print(f"{version:6} later use  {summary(laters)}")
        print(f"page load, main-thread CPU ms, {args.runs} rounds: errata.js's own "
              "(median, p90); the whole main thread (median; + over none)")
        kinds = ("now", "0.1.0", *FLOORS, "none")
        loads = {(k, js): ([], []) for js in (False, True) for k in kinds}
        for k, js in loads:  # a warm-up round, not counted
            load_cost(browser, base, k, js, Path(tmp))
        for _ in range(args.runs):
            for (k, js), (own, whole) in loads.items():
                o, w = load_cost(browser, base, k, js, Path(tmp))
                own.append(o)
                whole.append(w)
        for js in (False, True):
            floor = statistics.median(loads["none", js][1])
            for k in kinds:
                own, whole = loads[k, js]
                mid = statistics.median(whole)
                print(f"  {'page js' if js else 'bare':7} {k:13} own {summary(own, 2)}   "
                      f"whole {mid:6.1f} ms ({mid - floor:+5.1f})")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
