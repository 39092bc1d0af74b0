#!/usr/bin/env python3
"""The card builder page (/builder) in headless Chromium, driven over the DevTools protocol.

Usage (from the repository root; Python 3.11+, standard library only; needs `chromium`):

    python3 .ci/builder.py [--binary PATH] [--chromium PATH]

Starts `<binary> serve` on 127.0.0.1 (SQLite in a temporary directory; GitHub and WakaTime at
127.0.0.1:9, the discard port, and NO_REST_FALLBACK, so nothing can reach the real services), checks
the builder's routes and headers, then opens /builder in Chromium (`--remote-debugging-pipe`:
commands on fd 3, answers on fd 4, JSON messages ended by a NUL byte) and uses the page like a
visitor: types a login, picks a theme, ticks "Follow the reader's dark mode", switches the card
kind, sets options. Checks the preview URL (exactly), the snippets, and that the page logged no
Content-Security-Policy violation and threw no JavaScript error. Prints each check; exits 1 on the
first failure. `--url http://127.0.0.1:PORT` tests an already running server instead.
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benches"))
import load  # noqa: E402

LOGIN = "octocat"
TOTAL_SECONDS = 150  # the whole run, Chromium's start included
CALL_SECONDS = 10  # one DevTools command
WAIT_SECONDS = 15  # a condition in the page (page load, debounced preview)
PREVIEW = "document.getElementById('preview')"


class Failure(Exception):
    pass


def enc(value: str) -> str:
    """The page's encoding: encodeURIComponent plus !'()*, i.e. everything but A-Z a-z 0-9 -_.~"""
    return quote(value, safe="")


def html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def check(name: str, ok: bool, detail: str = "") -> None:
    if not ok:
        raise Failure(f"{name}: {detail}" if detail else name)
    print(f"ok    {name}")


def http_get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)  # never a proxy
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Browser:
    """Headless Chromium and one page, over the DevTools pipe."""

    def __init__(self, chromium: str, workdir: Path) -> None:
        self.events: list[dict] = []
        self.buffer = b""
        self.next_id = 0
        self.session: str | None = None
        self.log_path = workdir / "chromium.log"
        # Two pipes right away: the lowest free descriptors go first, so 3 and 4 are open here
        # (pass_fds needs them to exist) and Popen's own error pipe is never 3 or 4.
        cmd_read, self.cmd_write = os.pipe()
        self.res_read, res_write = os.pipe()

        def child() -> None:
            load.die_with_parent()
            # Copy both above 9 first, so moving one onto 3 never overwrites the other.
            commands = fcntl.fcntl(cmd_read, fcntl.F_DUPFD, 10)
            answers = fcntl.fcntl(res_write, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={workdir / 'profile'}", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", "--no-proxy-server", "--mute-audio",
             "--window-size=1280,900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(3, 4), preexec_fn=child,
            start_new_session=True,
        )
        log.close()
        os.close(cmd_read)
        os.close(res_write)

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if select.select([self.res_read], [], [], left)[0]:
                chunk = os.read(self.res_read, 1 << 16)
                if not chunk:
                    raise Failure(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()}):\n{self.log_tail()}")
                self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, page: bool = True, timeout: float = CALL_SECONDS) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.cmd_write, data):]
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = self._message(deadline)
            except TimeoutError:
                raise Failure(f"no answer to {method} within {timeout} s") from None
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise Failure(f"{method} failed: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, page=False)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        # Violations also arrive as events; a console line makes sure none goes unreported.
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "document.addEventListener('securitypolicyviolation', (e) => console.error("
            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")})
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise Failure(f"evaluating {expression!r}: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = WAIT_SECONDS):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise Failure(f"{what}: not within {timeout} s")
            time.sleep(0.1)

    def problems(self) -> tuple[list[str], list[str]]:
        """(failures, notes) from the page's console, log and exceptions so far."""
        failures, notes = [], []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                failures.append("JavaScript exception: " + (details.get("exception", {}).get("description") or details.get("text", "")))
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                if params.get("type") in ("error", "assert") or "Content Security Policy" in text:
                    failures.append(f"console.{params.get('type')}: {text}")
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                line = f"{entry.get('source')}/{entry.get('level')}: {entry.get('text')} {entry.get('url', '')}".strip()
                own_asset = entry.get("source") == "network" and "/builder" in entry.get("url", "")
                if ("Content Security Policy" in line or own_asset
                        or (entry.get("level") == "error" and entry.get("source") not in ("network", "other"))):
                    failures.append(line)
                else:
                    # The preview's error card (GitHub is unreachable here) may come with a 502.
                    notes.append(line)
        return failures, notes

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call("Browser.close", page=False, timeout=3)
            except (Failure, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        # Its own session, started here: the group is Chromium and its helpers only, and they
        # may outlive the browser process by a moment.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                continue
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                continue
            break
        for fd in (self.cmd_write, self.res_read):
            try:
                os.close(fd)
            except OSError:
                pass


def expected_url(base: str, spec: dict, kind: str, theme: str, locale: str, options: dict[str, str]) -> str:
    """The preview URL the page must build: subject, type, theme, locale unless en, then options
    in the order cards.json lists them."""
    pairs = [("username", LOGIN), ("type", kind), ("theme", theme)]
    if locale != "en":
        pairs.append(("locale", locale))
    listed = next(k for k in spec["kinds"] if k["name"] == kind)["options"]
    pairs += [(o["name"], options[o["name"]]) for o in listed if o["name"] in options]
    return f"{base}{spec['preview_path']}?" + "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


def set_value(selector: str, value: str, event: str) -> str:
    return (f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.value = {json.dumps(value)};"
            f" e.dispatchEvent(new Event({json.dumps(event)}, {{bubbles: true}})); return e.value; }})()")


def run(browser: Browser, base: str) -> None:
    # --- the routes, as the Rust side serves them ---
    status, headers, body = http_get(base, "/builder")
    check("GET /builder is 200 text/html", status == 200 and headers.get("content-type", "").startswith("text/html"),
          f"{status} {headers.get('content-type')}")
    csp = headers.get("content-security-policy", "")
    check("/builder sends the CSP", all(d in csp for d in ("default-src 'none'", "script-src 'self'", "style-src 'self'")), csp or "(none)")
    for path, kind in (("/builder/app.js", "text/javascript"), ("/builder/app.css", "text/css")):
        status, headers, _ = http_get(base, path)
        check(f"GET {path} is 200 {kind}", status == 200 and headers.get("content-type", "").startswith(kind),
              f"{status} {headers.get('content-type')}")
    status, headers, body = http_get(base, "/builder/cards.json")
    check("GET /builder/cards.json is 200 JSON", status == 200 and "json" in headers.get("content-type", ""),
          f"{status} {headers.get('content-type')}")
    spec = json.loads(body)
    kinds = {k["name"]: k for k in spec["kinds"]}
    themes = {t["name"]: t for t in spec["themes"]}
    check("cards.json: format_version 1, preview_path /banners/preview",
          spec.get("format_version") == 1 and spec.get("preview_path") == "/banners/preview", str(spec.get("preview_path")))
    check("cards.json: wide and streak kinds, github-light paired with github-dark",
          {"wide", "streak"} <= kinds.keys() and themes.get("github-light", {}).get("dark") == "github-dark")

    # --- the page ---
    browser.open(base + "/builder")
    browser.wait_for("document.querySelectorAll('#kind option').length > 0", "the kind select is filled")
    check("kind select filled from cards.json",
          browser.evaluate("document.querySelectorAll('#kind option').length") == len(spec["kinds"]))
    check("app.css applied", browser.evaluate("getComputedStyle(document.querySelector('.layout')).display") == "grid")
    state = browser.evaluate("""(() => { const $ = (id) => document.getElementById(id); return {
        kind: $('kind').value, theme: $('theme').value, locale: $('locale').value,
        src: $('preview').getAttribute('src'), hidden: $('preview').hidden, hint: $('hint').hidden ? '' : $('hint').textContent,
        username: !!$('param-username'), icons: !!$('param-show_icons')}; })()""")
    check("defaults: first kind, theme default, locale en",
          (state["kind"], state["theme"], state["locale"]) == (spec["kinds"][0]["name"], "default", "en"), str(state))
    check("no preview request without a login, a hint instead",
          state["src"] is None and state["hidden"] and bool(state["hint"]), str(state))
    check("wide renders #param-username and #param-show_icons", state["username"] and state["icons"], str(state))

    browser.evaluate(set_value("#param-username", LOGIN, "input"))
    url = expected_url(base, spec, "wide", "default", "en", {})
    browser.wait_for(f"{PREVIEW}.src === {json.dumps(url)}", f"preview src becomes {url}")
    check(f"typing a login shows {url}", True)

    browser.evaluate(set_value("#theme", "github-light", "change"))
    check("#follow-dark enabled for github-light", browser.evaluate("!document.getElementById('follow-dark').disabled"))
    browser.evaluate("document.getElementById('follow-dark').click()")
    url = expected_url(base, spec, "wide", "github-light,auto", "en", {})
    browser.wait_for(f"{PREVIEW}.src === {json.dumps(url)}", f"preview src becomes {url}")
    check(f"preview src is {url}", True)
    snippets = browser.evaluate("""({md: document.getElementById('snippet-markdown').value,
        html: document.getElementById('snippet-html').value, pic: document.getElementById('snippet-picture').value})""")
    check("markdown snippet is ![...](URL)", snippets["md"].startswith("![") and snippets["md"].endswith(f"]({url})"), snippets["md"])
    check("HTML snippet has the escaped URL", f'<img src="{html_escape(url)}"' in snippets["html"], snippets["html"])
    light = html_escape(expected_url(base, spec, "wide", "github-light", "en", {}))
    dark = html_escape(expected_url(base, spec, "wide", "github-dark", "en", {}))
    check("picture snippet: github-dark source, github-light img",
          f'<source media="(prefers-color-scheme: dark)" srcset="{dark}">' in snippets["pic"]
          and f'<img src="{light}"' in snippets["pic"], snippets["pic"])

    unpaired = next(t["name"] for t in spec["themes"] if not t.get("dark") and "wide" in t["kinds"])
    browser.evaluate(set_value("#theme", unpaired, "change"))
    state = browser.evaluate("({disabled: document.getElementById('follow-dark').disabled, pic: document.getElementById('snippet-picture').value})")
    check(f"{unpaired} (no pair) disables #follow-dark, the picture snippet explains theme=auto",
          state["disabled"] and "theme=auto" in state["pic"] and "<source" not in state["pic"], str(state))
    browser.evaluate(set_value("#theme", "github-light", "change"))
    browser.evaluate("document.getElementById('follow-dark').click()")

    browser.evaluate(set_value("#kind", "streak", "change"))
    theme = browser.evaluate("document.getElementById('theme').value")
    if browser.evaluate("document.getElementById('follow-dark').checked"):
        theme += ",auto"
    url = expected_url(base, spec, "streak", theme, "en", {})
    browser.wait_for(f"{PREVIEW}.src === {json.dumps(url)}", f"preview src becomes {url}")
    check(f"kind streak: preview src is {url}", "type=streak" in url)
    state = browser.evaluate("""({tz: !!document.getElementById('param-timezone'), icons: !!document.getElementById('param-show_icons'),
        login: document.getElementById('param-username').value})""")
    check("streak options: #param-timezone present, #param-show_icons gone, login kept",
          state["tz"] and not state["icons"] and state["login"] == LOGIN, str(state))

    # Options in cards.json order, only when they differ from the default; locale after theme.
    options = kinds["streak"]["options"]
    locale = next((l["code"] for l in spec["locales"] if l["code"] == "de"), None) or next(l["code"] for l in spec["locales"] if l["code"] != "en")
    browser.evaluate(set_value("#locale", locale, "change"))
    chosen = {"timezone": "Europe/Berlin"}
    browser.evaluate(set_value("#param-timezone", "Europe/Berlin", "input"))
    flag = next((o["name"] for o in options if o["type"] == "bool" and not o.get("default")), None)
    if flag:
        browser.evaluate(f"document.getElementById({json.dumps('param-' + flag)}).click()")
        chosen[flag] = "true"
    url = expected_url(base, spec, "streak", theme, locale, chosen)
    browser.wait_for(f"{PREVIEW}.src === {json.dumps(url)}", f"preview src becomes {url}")
    check(f"locale and options: preview src is {url}", True)

    browser.call("Browser.grantPermissions", {"origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}, page=False)
    browser.evaluate("document.querySelector('[data-copy=snippet-markdown]').click()")
    status_text = browser.wait_for("document.getElementById('copy-status').textContent", "the copy button reports")
    check("Copy button reports", status_text in ("Copied.", "Could not copy; the text is selected, press Ctrl+C."), status_text)

    browser.wait_for(f"{PREVIEW}.complete", "the preview image finishes loading")
    browser.evaluate("1")  # one more round trip: events logged so far are read
    failures, notes = browser.problems()
    for note in notes:
        print(f"note  {note}")
    check("no CSP violation, JavaScript error or failed builder asset", not failures, "\n  " + "\n  ".join(failures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=REPO / "target" / "debug" / "github-banners")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--url", help=argparse.SUPPRESS)  # a server already running (development)
    args = parser.parse_args()

    def out_of_time(*_: object) -> None:
        raise Failure(f"the whole run took more than {TOTAL_SECONDS} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TOTAL_SECONDS)
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-builder-"))
    service = browser = None
    try:
        if args.url:
            base = args.url.rstrip("/")
        else:
            # GitHub and WakaTime at the discard port, and no REST fallback: cards can only be
            # error cards, and nothing leaves this machine.
            service, port = load.start_service(args.binary.resolve(), workdir, 9, {
                "NO_REST_FALLBACK": "true", "WAKATIME_API_URL": "http://127.0.0.1:9"})
            base = f"http://127.0.0.1:{port}"
        browser = Browser(args.chromium, workdir)
        run(browser, base)
        print("all builder checks passed")
        return 0
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        if browser is not None and browser.proc.poll() is not None:
            print(f"Chromium log:\n{browser.log_tail()}", file=sys.stderr)
        if service is not None:
            print(f"service log:\n{load.service_log_tail(workdir)}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        if browser is not None:
            browser.close()
        load.stop(service, "service")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
