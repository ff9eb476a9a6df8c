#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Cockpit page in headless Chromium (selenium 4.8, chromium-driver): what a person sees,
# compared with what the CLI says for the same state (status/doctor/validate --json saved by
# browser.sh in WORK). Usage: browser.py [--live] URL WORK ARTIFACTS; exit 0 when every check
# passed. --live: the state live.sh made on a real libvirtd (start and stop from the page).
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

LIVE = sys.argv[1] == "--live"
URL, WORK, ART = sys.argv[1 + LIVE:4 + LIVE]
PAGE = URL + "/cockpit/@localhost/virt-nfsroot/index.html"
failed = 0


def check(what, cond):
    global failed
    print(("PASS: " if cond else "FAIL: ") + what, flush=True)
    failed += 0 if cond else 1
    return cond


def load(name):
    with open(os.path.join(WORK, name), encoding="utf-8") as f:
        return json.load(f)


def driver():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,800", "--user-data-dir=" + os.path.join(WORK, "chromium"),
              "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def wait(d, cond, timeout=30):
    return WebDriverWait(d, timeout, poll_frequency=0.1).until(lambda _: cond())


def rows(d, table):
    """The table's cells as a person reads them (innerText), in one go (the page re-renders)."""
    return d.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(tr =>"
        " [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))", f"#{table} tbody tr")


def shot(d, name):
    prefix = "live-" if LIVE and not name.startswith("live-") else ""
    d.save_screenshot(os.path.join(ART, prefix + name + ".png"))


def console_errors(d):
    # The shell's 404 for Virtual Machines' page after our link: cockpit-machines is not
    # installed here (the link itself is checked: shell_frame).
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"
            and not ("/cockpit/@localhost/machines/index.html" in e["message"]
                     and "404" in e["message"])]


def same_as_status(d, status, what):
    """The Exports and Domains tables show what status --json says, row by row."""
    got = rows(d, "guests-table")
    check(f"{what}: one row per export status lists", len(got) == len(status["exports"]))
    for e, r in zip(status["exports"], got):
        check(f"{what}: {e['domain']} {e['path']}: domain, state, path as status says",
              r[0] == e["domain"] and r[1].startswith(e["state"]) and r[2].startswith(e["path"]))
        for c in e["clients"]:
            said = {True: "served", False: "not served", None: "unknown"}[e["served"][c]]
            check(f"{what}: client {c} {said}, as status says", f"{c} ({said})" in r[3])
    check(f"{what}: status --json lists the domains with an NFS root", "domains" in status)
    doms = [[x["name"], x["state"], "Stop…" if x["running"] else "Start"]
            for x in sorted(status.get("domains") or [], key=lambda x: x["name"])]
    got = rows(d, "domains-table")
    if not check(f"{what}: the domains with an NFS root, their state and action, as status says",
                 got == doms):
        print(f"  page: {got}\n  CLI:  {doms}")
    return got


def problems(d):
    """Out of step: the unreadable record as status says, reconcile's actions with their fix."""
    status = load("status.json")
    prob = rows(d, "problems-table")
    unread = [r for r in prob if r[0] == "unreadable record"]
    check("Out of step: the unreadable record, as status reports it",
          len(unread) == len(status["unreadable"]) == 1
          and unread[0][1] == status["unreadable"][0]["file"]
          and unread[0][2] == status["unreadable"][0]["error"])
    check("Out of step: its fix shown", unread and "check it by hand" in unread[0][3])
    check(f"Out of step: the record's hostile name is text, not markup ({unread[0][1]!r})",
          unread and unread[0][1].startswith("<b>broken<img")
          and not d.find_elements(By.CSS_SELECTOR, "#problems-table b, #problems-table img")
          and d.title != "1")
    rec = [a for a in load("reconcile.json")["actions"] if a["action"] not in ("keep", "unreadable")]
    other = [r for r in prob if r[0] != "unreadable record"]
    names = {x["uuid"]: x["name"] for x in status.get("domains") or []}
    who = [a["domain"] or names.get(a["uuid"], a["uuid"]) for a in rec]
    check(f"Out of step: reconcile's actions, each with its domain and fix ({other})",
          [(r[0], r[1]) for r in other] == [(a["action"], w) for a, w in zip(rec, who)]
          and all(r[3] == f"stop the domain, then start it: virsh shutdown {w}; virsh start {w}"
                  if a["action"] == "orphan" else "virt-nfsroot reconcile --apply" in r[3]
                  for a, w, r in zip(rec, who, other)))
    return rec


def guests(d):
    wait(d, lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-guests-loaded"))
    status = load("status.json")
    same_as_status(d, status, "Guests")
    got = rows(d, "guests-table")
    by = {r[0]: r for r in got}
    check("Guests: the annotated guest is running and ok", by.get("test", [0, 0])[1] == "ok running")
    check("Guests: the stale record's domain is not running",
          by.get("gone", [0, 0])[1] == "stale not running")
    link = d.find_element(By.LINK_TEXT, "test")
    check("Guests: the domain links to cockpit-machines", link.tag_name == "a")
    i = [r[0] for r in got].index("test")
    wait(d, lambda: "checking" not in rows(d, "guests-table")[i][7])
    val = load("validate.json")
    verdict = rows(d, "guests-table")[i][7]
    check(f"Guests: boot check as validate counts it ({verdict!r})",
          f"{val['counts']['error']} errors, {val['counts']['warning']} warnings" in verdict)
    rec = problems(d)
    check("Out of step: the stale record's domain, to remove", len(rec) == 1
          and rec[0]["domain"] == "gone")
    shot(d, "guests")


def check_tab(d):
    tab = d.find_element(By.ID, "tab-guests")
    tab.send_keys(Keys.ARROW_RIGHT)  # the keyboard moves between tabs
    check("keyboard: arrow right selects Check",
          d.find_element(By.ID, "tab-check").get_attribute("aria-selected") == "true"
          and d.switch_to.active_element.get_attribute("id") == "tab-check")
    wait(d, lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-doctor-loaded"))
    # The host's checks can change while the page runs (libvirtd, time sync): the CLI's answer
    # just before and just after the page's is what the page must show, row by row.
    doc = load("doctor.json")
    after = json.loads(subprocess.run(["virt-nfsroot", "doctor", "--json"], capture_output=True,
                                      text=True, check=False).stdout)
    got = rows(d, "doctor-table")
    check("Check: one doctor row per check", len(got) == len(doc["checks"]))
    for c, c2, r in zip(doc["checks"], after["checks"], got):
        want = [[x["id"], x["status"].upper(), x["summary"], x["fix"] or ""] for x in (c, c2)]
        if not check(f"Check: doctor {c['id']} {c['status'].upper()}", r in want):
            print(f"  page: {r}\n  CLI:  {want}")
    d.find_element(By.ID, "validate-run").click()
    val = load("validate.json")
    want = max(1, len(val["findings"]))
    wait(d, lambda: len(rows(d, "validate-table")) == want
         and rows(d, "validate-table")[0][3] != "checking")
    got = rows(d, "validate-table")
    for f, r in zip(val["findings"], got):
        check(f"Check: validate {f['code']}", r[1] == f["level"] and r[3] == f["message"])
    shot(d, "check")


def create(d):
    d.find_element(By.ID, "tab-create").click()
    groups = d.execute_script(
        "return [...document.querySelectorAll('form .pf-v5-c-form__group')]"
        ".filter(g => g.querySelector('input.pf-v5-c-form-control'))"
        ".map(g => g.querySelector('label').htmlFor + '=' + g.textContent.trim())")
    check(f"Forms: every text field a labelled PatternFly group ({groups})",
          groups[:2] == ["c-name=Name", "c-release=Release"] and len(groups) == 8)
    d.find_element(By.ID, "c-name").send_keys("test")
    d.find_element(By.ID, "c-run").click()
    res = d.find_element(By.ID, "c-result")
    wait(d, lambda: res.text != "")
    check(f"Create: a refusal is the CLI's one sentence ({res.text!r})",
          res.text.startswith("virt-nfsroot: ") and "test" in res.text
          and len(res.text.splitlines()) == 1)
    name = d.find_element(By.ID, "c-name")
    name.clear()
    name.send_keys("web1")
    d.find_element(By.ID, "c-run").click()
    bar = d.find_element(By.ID, "c-bar")
    seen = set()
    t0 = time.time()
    while time.time() - t0 < 90 and not res.text:
        seen.add(int(bar.get_attribute("aria-valuenow")))
        if 0 < max(seen) < 100 and not os.path.exists(os.path.join(ART, "create-progress.png")):
            shot(d, "create-progress")
        time.sleep(0.05)
    print(f"Create: bar values seen {sorted(seen)}, {time.time() - t0:.1f} s", flush=True)
    check("Create: the bar advances: seen between 0 and 100 before full",
          0 in seen and any(0 < v < 100 for v in seen))
    check(f"Create: done, the bar full ({res.text!r})",
          res.text.startswith("defined domain web1") and bar.get_attribute("aria-valuenow") == "100")
    stages = [li.text for li in d.find_elements(By.CSS_SELECTOR, "#c-stages li")]
    check(f"Create: every stage listed, done (start: skipped) ({stages})",
          len(stages) == 7 and all(" done " in s for s in stages[:6]) and "skipped" in stages[6])
    shot(d, "create")


def delete(d):
    tree = os.path.join(WORK, "export", "web1")
    d.find_element(By.ID, "d-name").send_keys("web1")
    d.find_element(By.ID, "d-run").click()
    dlg = d.find_element(By.ID, "confirm")
    wait(d, lambda: dlg.get_attribute("open") is not None)
    items = [li.text for li in d.find_elements(By.CSS_SELECTOR, "#confirm-list li")]
    check(f"Delete: the confirmation says exactly what goes ({items})",
          items == [f"its boot files in {WORK}/boot/web1",
                    f"its root tree {tree} and everything in it"])
    check("Delete: the focus is on Cancel", d.switch_to.active_element.get_attribute("id") == "confirm-cancel")
    shot(d, "delete-confirm")
    d.find_element(By.ID, "confirm-ok").click()
    wait(d, lambda: d.find_element(By.ID, "alerts").text != "")
    check(f"Delete: done ({d.find_element(By.ID, 'alerts').text!r})",
          d.find_element(By.ID, "alerts").text == "deleted web1")
    check("Delete: the tree is gone from the host", not os.path.exists(tree))


def delete_running(d):
    d.find_element(By.ID, "tab-guests").click()
    d.find_element(By.CSS_SELECTOR, "#guests-table tbody tr[data-domain=test] button.pf-m-danger").click()
    wait(d, lambda: d.find_element(By.ID, "alerts").text != "")
    text = d.find_element(By.ID, "alerts").text
    check(f"Delete a running guest: refused in the CLI's one sentence ({text!r})",
          text == "virt-nfsroot: delete: domain 'test' is running: shut it down first (virsh shutdown test)")


def annotate(d):
    d.find_element(By.ID, "tab-annotate").click()
    d.find_element(By.ID, "a-name").send_keys("test")
    d.find_element(By.ID, "a-path").send_keys("/etc")
    d.find_element(By.ID, "a-run").click()
    res = d.find_element(By.ID, "a-result")
    wait(d, lambda: res.text != "")
    check(f"Annotate: the policy's refusal, one sentence ({res.text!r})",
          res.text.startswith("virt-nfsroot: ") and "/etc" in res.text)
    shot(d, "annotate")


def phone_and_dark(d):
    d.set_window_size(390, 844)
    d.find_element(By.ID, "tab-guests").click()
    width = d.execute_script("return document.documentElement.scrollWidth")
    check(f"phone width: no sideways scrolling of the page ({width} px)", width <= 390)
    label = d.execute_script(
        "const td = document.querySelector('#guests-table tbody td');"
        "return getComputedStyle(td).display + ' ' + getComputedStyle(td, '::before').content")
    check(f"phone width: rows are cards, cells labelled by column ({label})",
          label == 'grid "Domain"')
    shot(d, "guests-phone")
    d.execute_script("localStorage.setItem('shell:style', 'dark');"
                     "window.dispatchEvent(new CustomEvent('cockpit-style', {detail: {style: 'dark'}}))")
    check("dark mode: Cockpit's setting switches PatternFly's dark theme",
          "pf-v5-theme-dark" in d.find_element(By.TAG_NAME, "html").get_attribute("class"))
    bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
    check(f"dark mode: a dark background ({bg})", bg.startswith("rgb(") and
          sum(int(x) for x in bg[4:-1].split(",")[:3]) < 200)
    d.set_window_size(1280, 800)
    shot(d, "guests-dark")


def cli_status():
    return json.loads(subprocess.run(["virt-nfsroot", "status", "--json"], capture_output=True,
                                     text=True, check=False).stdout)


def domain_row(d, name):
    return next((r for r in rows(d, "domains-table") if r[0] == name), None)


def click(d, name, cls):
    """Click the row's button; the table re-renders after every action: retry a stale one."""
    sel = f"#domains-table tbody tr[data-domain='{name}'] .{cls}"

    def go():
        try:
            d.find_element(By.CSS_SELECTOR, sel).click()
            return True
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    wait(d, go)


def live_guests(d):
    wait(d, lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-guests-loaded"))
    check("Administrative access (root): no limited-access notice",
          not d.find_element(By.ID, "limited").is_displayed())
    status = load("status.json")
    same_as_status(d, status, "Guests (libvirtd)")
    check("Domains: the running guests, the stopped one and the refused one, as libvirt says",
          [r[:2] for r in rows(d, "domains-table")] == [["evil-dotdot", "shut off"],
                                                        ["vm-a", "running"], ["vm-b", "running"],
                                                        ["vm-c", "shut off"]])
    got = rows(d, "guests-table")
    check(f"Exports: vm-a's root exported and served, ok ({got})",
          [r[0] for r in got] == ["vm-a"] and got[0][1] == "ok running"
          and got[0][2] == "/export/vm-a" and "(served)" in got[0][3])
    wait(d, lambda: "checking" not in rows(d, "guests-table")[0][7])
    val = load("validate.json")
    verdict = rows(d, "guests-table")[0][7]
    check(f"Exports: boot check as validate counts it ({verdict!r})",
          f"{val['counts']['error']} errors, {val['counts']['warning']} warnings" in verdict)
    rec = problems(d)
    uuid = {x["name"]: x["uuid"] for x in status.get("domains") or []}.get("vm-b")
    check(f"Out of step: vm-b's exports, which no record owns, are an orphan ({rec})",
          [(a["action"], a["uuid"]) for a in rec] == [("orphan", uuid)]
          and [r[1] for r in rows(d, "problems-table") if r[0] == "orphan"] == ["vm-b"])
    shot(d, "live-guests")


def live_refused(d):
    with open(os.path.join(WORK, "refused.txt"), encoding="utf-8") as f:
        want = f.read().strip()
    click(d, "evil-dotdot", "nr-start")
    wait(d, lambda: d.find_element(By.ID, "alerts").text != "")
    text = d.find_element(By.ID, "alerts").text
    check(f"Start refused: the page shows the hook's one sentence, just it ({text!r})",
          text == want and text.startswith("virt-nfsroot: domain 'evil-dotdot': "))
    shot(d, "live-refused")
    check("Start refused: evil-dotdot still shut off, nothing exported for it",
          domain_row(d, "evil-dotdot")[1] == "shut off"
          and all(r[0] != "evil-dotdot" for r in rows(d, "guests-table")))


def live_start_stop(d):
    click(d, "vm-c", "nr-start")
    wait(d, lambda: (domain_row(d, "vm-c") or [0, 0])[1] == "running", 90)
    wait(d, lambda: any(r[0] == "vm-c" for r in rows(d, "guests-table")), 30)
    status = cli_status()
    same_as_status(d, status, "Started vm-c")
    got = [r for r in rows(d, "guests-table") if r[0] == "vm-c"]
    check(f"Started vm-c: its root export appears, ok and served ({got})",
          len(got) == 1 and got[0][1] == "ok running" and got[0][2] == "/export/vm-c"
          and "(served)" in got[0][3]
          and any(e["domain"] == "vm-c" and e["state"] == "ok" for e in status["exports"]))
    check("Started vm-c: the alert says so", d.find_element(By.ID, "alerts").text == "started vm-c")
    shot(d, "live-started")
    click(d, "vm-c", "nr-stop")
    dlg = d.find_element(By.ID, "stop-confirm")
    wait(d, lambda: dlg.get_attribute("open") is not None)
    check("Stop: a confirmation, the focus on Cancel",
          d.find_element(By.ID, "stop-title").text == "Stop vm-c?"
          and d.switch_to.active_element.get_attribute("id") == "stop-cancel")
    shot(d, "live-stop-confirm")
    d.find_element(By.ID, "stop-shutdown").click()
    wait(d, lambda: d.find_element(By.ID, "alerts").text != "")
    check(f"Stop: shutdown requested ({d.find_element(By.ID, 'alerts').text!r})",
          d.find_element(By.ID, "alerts").text == "shutdown of vm-c requested")
    # The harness's guest never reaches userspace: ACPI's request goes unanswered; Force off.
    click(d, "vm-c", "nr-stop")
    wait(d, lambda: dlg.get_attribute("open") is not None)
    d.find_element(By.ID, "stop-force").click()
    wait(d, lambda: (domain_row(d, "vm-c") or [0, 0])[1] == "shut off", 60)
    wait(d, lambda: all(r[0] != "vm-c" for r in rows(d, "guests-table")), 30)
    status = cli_status()
    same_as_status(d, status, "Forced off vm-c")
    check("Forced off vm-c: its export is gone from the page and from status",
          all(e["domain"] != "vm-c" for e in status["exports"])
          and all(r[0] != "vm-c" for r in rows(d, "guests-table")))
    check("Forced off vm-c: Start is offered again", domain_row(d, "vm-c")[2] == "Start")
    shot(d, "live-stopped")


def shell_frame(d):
    """The page as a person reaches it: Cockpit's shell at /virt-nfsroot, the page in its frame."""
    d.get(URL + "/virt-nfsroot")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "iframe[name='cockpit1:localhost/virt-nfsroot']"))
    nav = d.find_element(By.TAG_NAME, "body").text
    check("Shell: the menu lists the page (NFS roots)", "NFS roots" in nav)
    d.switch_to.frame(d.find_element(By.CSS_SELECTOR, "iframe[name='cockpit1:localhost/virt-nfsroot']"))
    wait(d, lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-guests-loaded"))
    same_as_status(d, cli_status(), "Shell frame")
    d.switch_to.default_content()
    shot(d, "live-shell")
    d.switch_to.frame(d.find_element(By.CSS_SELECTOR, "iframe[name='cockpit1:localhost/virt-nfsroot']"))
    d.find_element(By.CSS_SELECTOR, "#domains-table tbody tr[data-domain='vm-a'] a").click()
    d.switch_to.default_content()
    wait(d, lambda: "/machines" in d.current_url, 10)
    check(f"Shell: the domain's link goes to Virtual Machines ({d.current_url})",
          d.current_url.endswith("/machines#vm?name=vm-a&connection=system"))


def limited(d):
    """Without administrative access (cockpit-ws as nobody on port 9091): what a person sees."""
    d.get(URL.rsplit(":", 1)[0] + ":9091/cockpit/@localhost/virt-nfsroot/index.html")
    banner = d.find_element(By.ID, "limited")
    wait(d, lambda: banner.is_displayed())
    check(f"Limited: the page says it runs as the user ({banner.text!r})",
          banner.text.startswith("Limited access: ") and "administrative access" in banner.text)
    alerts = d.find_element(By.ID, "alerts")
    wait(d, lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-guests-loaded")
         or alerts.text)
    print(f"Limited: guests {rows(d, 'guests-table')}, domains {rows(d, 'domains-table')}, "
          f"alert {alerts.text!r}", flush=True)
    shot(d, "live-limited")
    check(f"Limited: any failure is one sentence, not a document ({alerts.text!r})",
          alerts.text == "" or (len(alerts.text.splitlines()) == 1
                                and alerts.text.startswith(("virt-nfsroot:", "error:"))))
    if domain_row(d, "vm-c"):
        click(d, "vm-c", "nr-start")
        wait(d, lambda: alerts.text != "")
        print(f"Limited: Start says {alerts.text!r}", flush=True)
        check(f"Limited: Start is refused in one sentence ({alerts.text!r})",
              len(alerts.text.splitlines()) == 1 and alerts.text.startswith("error: "))
        shot(d, "live-limited-start")


def main():
    d = driver()
    try:
        t0 = time.time()
        d.get(PAGE)
        if LIVE:
            for step in (live_guests, check_tab, live_refused, live_start_stop, shell_frame,
                         limited):
                try:
                    for tab in d.find_elements(By.ID, "tab-guests"):
                        tab.click()
                    step(d)
                except (TimeoutException, NoSuchElementException) as ex:
                    check(f"{step.__name__}: what it waited for came ({type(ex).__name__})", False)
        else:
            guests(d)
            print(f"page loaded with its rows in {time.time() - t0:.1f} s", flush=True)
            check_tab(d)
            create(d)
            delete(d)
            annotate(d)
            delete_running(d)
            phone_and_dark(d)
        errs = console_errors(d)
        for e in errs:
            print("console:", e["message"])
        check("no errors in the browser's console", not errs)
    finally:
        d.quit()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
