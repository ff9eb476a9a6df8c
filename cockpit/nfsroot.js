// SPDX-License-Identifier: LGPL-2.1-or-later
// The virt-nfsroot Cockpit page: every fact comes from the installed CLI's --json, run through
// cockpit.spawn with an argv (never a shell string). Everything a guest or a domain XML controls
// reaches the page as text (textContent, never innerHTML).
/* global cockpit */
"use strict";

const CLI = "virt-nfsroot";
const SUPERUSER = { superuser: "try", err: "message" };

// ---- dark mode, as Cockpit's own pages follow the shell's setting ----

function applyStyle(style) {
    const s = style || window.localStorage.getItem("shell:style") || "auto";
    const prefersDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    const dark = s === "dark" || (s === "auto" && prefersDark);
    document.documentElement.classList.toggle("pf-v5-theme-dark", dark);
}
window.addEventListener("storage", ev => {
    if (ev.key === "shell:style")
        applyStyle();
});
window.addEventListener("cockpit-style", ev => applyStyle(ev.detail && ev.detail.style));
if (window.matchMedia)
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyStyle());
applyStyle();

// ---- small DOM helpers: text only ----

function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (k === "class")
            e.className = v;
        else if (k === "onclick")
            e.addEventListener("click", v);
        else
            e.setAttribute(k, v);
    }
    for (const c of children) {
        if (c === null || c === undefined)
            continue;
        e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    }
    return e;
}

// Each table's head from its data-columns ("Domain|State|..."): a column is named once.
function tableHeads() {
    for (const t of document.querySelectorAll("table[data-columns]")) {
        const names = t.dataset.columns.split("|").map(c => c.trim());
        t.prepend(el("thead", {}, el("tr", {}, ...names.map(c => el("th", { scope: "col" }, c)))));
    }
}

// Each form field's PatternFly group from its input's data-label: a labelled input, written once.
function formGroups() {
    for (const input of document.querySelectorAll("form input[data-label]")) {
        const group = el("div", { class: "pf-v5-c-form__group" },
            el("label", { class: "pf-v5-c-form__label", for: input.id }, input.dataset.label));
        input.classList.add("pf-v5-c-form-control");
        input.replaceWith(group);
        group.append(input);
    }
}

// Each cell carries its column's name: on a phone the rows become cards labelled with it.
function fill(tbody, rows) {
    const heads = [...tbody.parentElement.querySelectorAll("thead th")].map(th => th.textContent);
    for (const r of rows)
        [...r.children].forEach((td, i) => td.setAttribute("data-label", heads[i] || ""));
    tbody.replaceChildren(...rows);
}

function row(cells, attrs) {
    return el("tr", attrs || {}, ...cells.map(c => el("td", {}, c)));
}

function levelClass(level) {
    return { error: "nr-error", fail: "nr-error", warning: "nr-warn", warn: "nr-warn",
        ok: "nr-ok", pass: "nr-ok" }[level] || "";
}

function badge(text, level) {
    return el("span", { class: "nr-badge " + levelClass(level || text) }, text);
}

function alert(text, kind) {
    const box = document.getElementById("alerts");
    const a = el("div", { class: "pf-v5-c-alert pf-m-inline pf-m-" + (kind || "danger"), role: "alert" },
                 el("p", { class: "pf-v5-c-alert__title" }, text));
    box.replaceChildren(a);
}

function clearAlert() {
    document.getElementById("alerts").replaceChildren();
}

// ---- running the CLI ----

// The CLI's own sentence: its stderr's "virt-nfsroot: ..." lines, or what Cockpit says.
function sentence(ex, stderr) {
    const lines = String(stderr || (ex && ex.message) || ex || "").split("\n")
        .filter(l => l.trim() !== "" && !l.startsWith("{"));
    const ours = lines.filter(l => l.startsWith("virt-nfsroot:"));
    return (ours.length ? ours : lines).join("\n") || "virt-nfsroot failed";
}

// Run CLI ARGV with --json; resolve with the parsed document whatever the exit status (the CLI
// exits 1 when it found problems and still prints its document), reject with its sentence.
function runJson(args) {
    return new Promise((resolve, reject) => {
        cockpit.spawn([CLI, ...args, "--json"], SUPERUSER)
            .then((out, err) => resolve({ doc: JSON.parse(out), err }))
            .catch((ex, out) => {
                try {
                    resolve({ doc: JSON.parse(out), err: ex.message, failed: true });
                } catch (_) {
                    reject(new Error(sentence(ex, ex && ex.message)));
                }
            });
    });
}

// ---- Guests ----

function machinesLink(name) {
    return el("a", { href: "#", onclick: ev => {
        ev.preventDefault();
        cockpit.jump("/machines#vm?name=" + encodeURIComponent(name) + "&connection=system");
    } }, name);
}

function servedCell(e) {
    const list = el("ul", { class: "nr-plain" });
    for (const c of e.clients || []) {
        const s = e.served ? e.served[c] : null;
        list.append(el("li", {}, c + " " + (s === true ? "(served)" : s === false ? "(not served)" : "(unknown)")));
    }
    return list;
}

function bootCheckCell(name, cache) {
    const cell = el("span", { class: "nr-muted" }, "checking");
    if (!cache[name]) {
        cache[name] = runJson(["validate", "--domain", name]).then(r => r.doc,
                                                                     ex => ({ error: ex.message }));
    }
    cache[name].then(d => {
        if (d.error) {
            cell.replaceChildren(badge("unknown", "warning"), " " + d.error);
            return;
        }
        const c = d.counts || {};
        const verdict = c.error ? "fails" : c.warning ? "warnings" : "passes";
        cell.className = "";
        cell.replaceChildren(badge(verdict, c.error ? "error" : c.warning ? "warning" : "ok"),
                             " " + (c.error || 0) + " errors, " + (c.warning || 0) + " warnings");
    });
    return cell;
}

function deleteButton(name) {
    return el("button", { class: "pf-v5-c-button pf-m-danger pf-m-small", onclick: () => confirmDelete(name) },
              "Delete…");
}

function fixButton(label, args) {
    return el("button", { class: "pf-v5-c-button pf-m-secondary pf-m-small", onclick: ev => {
        ev.target.disabled = true;
        runJson(args).then(r => {
            const d = r.doc;
            const failed = (d.actions || []).filter(a => a.done === false);
            if (failed.length)
                alert(failed.map(a => a.domain + ": " + (a.error || "failed")).join("\n"));
            else
                alert(label + ": done", "success");
            loadGuests();
        }, ex => alert(ex.message));
    } }, label);
}

function problemRows(status, rec) {
    const rows = [];
    for (const u of status.unreadable || [])
        rows.push(row(["unreadable record", u.file, u.error,
            "check it by hand, then remove the file the reason names"]));
    // An orphan carries only its domain's uuid: libvirt's name for it, from status.
    const names = Object.fromEntries((status.domains || []).map(d => [d.uuid, d.name]));
    for (const a of rec.actions || []) {
        if (a.action === "unreadable" || a.action === "keep")
            continue; // unreadable: listed above from status; keep: in step
        const cmd = ["virt-nfsroot", "reconcile", "--apply"];
        const who = a.domain || names[a.uuid] || a.uuid || "";
        // Only a new start runs the hook (a reboot keeps the same QEMU): stop, then start.
        const fix = a.action === "orphan"
            ? el("span", { class: "nr-fix" }, "stop the domain, then start it: virsh shutdown " +
                 who + "; virsh start " + who)
            : el("span", {}, el("span", { class: "nr-fix" }, cmd.join(" ")), " ",
                 fixButton("Apply", ["reconcile", "--apply"]));
        rows.push(row([a.action, who, (a.reason || "") + (a.detail ? " (" + a.detail + ")" : ""), fix]));
    }
    return rows;
}

const validateCache = {};

// ---- start and stop: virsh, on the connection status reports (libvirt's own client) ----

let libvirtUri = null;

// libvirt wraps a refusing hook's stderr into its error ("Hook script execution failed: …
// NAME prepare begin -) unexpected exit status 1: virt-nfsroot: domain 'NAME': reason"):
// the hook's one sentence, else virsh's last error line.
function hookSentence(text) {
    const lines = String(text || "").split("\n").map(l => l.trim()).filter(l => l);
    for (const l of lines) {
        const m = l.match(/ [a-z]+ begin -\) unexpected exit status \d+: (virt-nfsroot: .*)$/);
        if (m)
            return m[1];
    }
    const errs = lines.filter(l => l.startsWith("error: "));
    return (errs.length ? errs[errs.length - 1] : lines.join(" ")) || "virsh failed";
}

function virsh(args, done) {
    clearAlert();
    cockpit.spawn(["virsh", "-c", libvirtUri || "qemu:///system", ...args], SUPERUSER)
        .then(() => {
            alert(done, "success");
            loadGuests();
        }, ex => {
            alert(hookSentence(ex && ex.message));
            loadGuests();
        });
}

// virsh is given the uuid (hex from libvirt), never the name: a hostile name cannot become an
// option of virsh nor name another domain.
function confirmStop(name, uuid) {
    const dlg = document.getElementById("stop-confirm");
    document.getElementById("stop-title").textContent = "Stop " + name + "?";
    document.getElementById("stop-shutdown").onclick = () => {
        dlg.close();
        virsh(["shutdown", "--domain", uuid], "shutdown of " + name + " requested");
    };
    document.getElementById("stop-force").onclick = () => {
        dlg.close();
        virsh(["destroy", "--domain", uuid], name + " forced off");
    };
    document.getElementById("stop-cancel").onclick = () => dlg.close();
    dlg.showModal();
    document.getElementById("stop-cancel").focus();
}

function domainRows(domains) {
    const byName = [...domains].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return byName.map(d => row([
        machinesLink(d.name),
        badge(d.state, d.running ? "ok" : ""),
        d.running
            ? el("button", { class: "pf-v5-c-button pf-m-secondary pf-m-small nr-stop",
                onclick: () => confirmStop(d.name, d.uuid) }, "Stop…")
            : el("button", { class: "pf-v5-c-button pf-m-primary pf-m-small nr-start",
                onclick: () => virsh(["start", "--domain", d.uuid], "started " + d.name) }, "Start"),
    ], { "data-domain": d.name, "data-state": d.state }));
}

function guestRows(status) {
    return (status.exports || []).map(e => row([
        machinesLink(e.domain),
        el("span", {}, badge(e.state, e.state === "ok" ? "ok" : "error"),
           " " + (e.running === true ? "running" : e.running === false ? "not running" : "unknown")),
        el("span", { class: "nr-fix" }, e.path + (e.readonly ? " (ro)" : "")),
        servedCell(e),
        el("span", { class: "nr-fix" }, e.options || ""),
        e.backend || "",
        e.since_utc || "",
        bootCheckCell(e.domain, validateCache),
        e.role === "root" ? deleteButton(e.domain) : "",
    ], { "data-domain": e.domain, "data-path": e.path })).concat([]);
}

function loadGuests() {
    for (const k of Object.keys(validateCache))
        delete validateCache[k];
    const st = document.getElementById("libvirt-state");
    st.textContent = "loading";
    return Promise.all([runJson(["status"]), runJson(["reconcile"])]).then(([s, r]) => {
        const status = s.doc;
        const lv = status.libvirt || {};
        st.textContent = lv.reachable ? "libvirt: " + lv.uri : "libvirt unreachable: " + (lv.error || "");
        libvirtUri = lv.uri || null;
        const doms = domainRows(status.domains || []);
        fill(document.querySelector("#domains-table tbody"), doms);
        document.getElementById("domains-empty").hidden = doms.length > 0;
        const rows = guestRows(status);
        fill(document.querySelector("#guests-table tbody"), rows);
        document.getElementById("guests-empty").hidden = rows.length > 0;
        const prob = problemRows(status, r.doc);
        fill(document.querySelector("#problems-table tbody"), prob);
        document.getElementById("problems-empty").hidden = prob.length > 0;
        document.getElementById("validate-name").value ||= (status.exports[0] || {}).domain || "";
        document.body.dataset.guestsLoaded = "1";
    }, ex => {
        st.textContent = "";
        alert(ex.message);
    });
}

// ---- Check ----

function runValidate() {
    const name = document.getElementById("validate-name").value.trim();
    if (!name)
        return;
    const tb = document.querySelector("#validate-table tbody");
    fill(tb, [row([name, "", "", "checking"])]);
    runJson(["validate", "--domain", name]).then(r => {
        const f = r.doc.findings || [];
        fill(tb, f.length ? f.map(x => row([name, badge(x.level), x.code || "", x.message || ""]))
            : [row([name, badge("ok"), "", "no findings"])]);
    }, ex => fill(tb, [row([name, badge("error"), "", ex.message])]));
}

function runDoctor() {
    const tb = document.querySelector("#doctor-table tbody");
    fill(tb, [row(["", "", "running", ""])]);
    runJson(["doctor"]).then(r => {
        fill(tb, (r.doc.checks || []).map(c => row([
            c.id, badge(c.status.toUpperCase(), c.status), c.summary || "",
            c.fix ? el("span", { class: "nr-fix" }, c.fix) : ""], { "data-check": c.id })));
        document.body.dataset.doctorLoaded = "1";
    }, ex => fill(tb, [row(["", badge("error"), ex.message, ""])]));
}

// ---- Create: stages streamed on stderr as {"progress": …} lines ----

function setProgress(done, total, label) {
    const pct = total ? Math.round(100 * done / total) : 0;
    document.getElementById("c-indicator").style.width = pct + "%";
    document.getElementById("c-bar").setAttribute("aria-valuenow", String(pct));
    document.getElementById("c-progress-measure").textContent = pct + "%";
    document.getElementById("c-progress-label").textContent = label;
}

function createArgs() {
    const v = id => document.getElementById(id).value.trim();
    const args = ["create", v("c-name")];
    if (v("c-release"))
        args.push("--release", v("c-release"));
    if (v("c-packages"))
        args.push("--packages", v("c-packages"));
    if (v("c-tarball"))
        args.push("--from-tarball", v("c-tarball"));
    if (v("c-sshkey"))
        args.push("--ssh-key", v("c-sshkey"));
    if (document.getElementById("c-pin").checked)
        args.push("--pin-address");
    if (document.getElementById("c-start").checked)
        args.push("--start");
    return args.concat(["--json"]);
}

function onCreateLine(line, st) {
    if (line.startsWith("{\"progress\":")) {
        const p = JSON.parse(line).progress;
        const done = p.status === "running" ? p.index - 1 : p.index;
        setProgress(done, p.total, p.stage + ": " + p.status);
        let li = document.getElementById("stage-" + p.index);
        if (!li) {
            li = el("li", { id: "stage-" + p.index });
            document.getElementById("c-stages").append(li);
        }
        li.textContent = p.stage + " " + p.status + (p.status === "running" ? "" : " (" + p.seconds.toFixed(1) + " s)");
        li.className = levelClass(p.status === "failed" ? "error" : p.status === "done" ? "ok" : "");
    } else if (line.startsWith("virt-nfsroot:")) {
        st.messages.push(line);
    } else {
        st.doc += line + "\n";
    }
}

function createResult(d, messages) {
    const res = document.getElementById("c-result");
    if (!d || !d.ok) {
        // The CLI's sentences, then (the boot check's verdict) the errors its document lists.
        const errors = ((d && d.findings) || []).filter(f => f.level === "error")
            .map(f => "error: " + f.message);
        res.className = "nr-result nr-error";
        res.textContent = messages.concat(errors).join("\n") || "create failed";
        return;
    }
    res.className = "nr-result nr-ok";
    const lines = ["defined domain " + d.domain + ": root " + d.tree + ", kernel " + (d.kernel_version || "?")];
    if (d.pinned_ip)
        lines.push("address " + d.pinned_ip + " pinned");
    if (d.root_password)
        lines.push("root password (shown once): " + d.root_password);
    res.textContent = lines.join("\n");
    res.append(" ", machinesLink(d.domain));
}

function runCreate(ev) {
    ev.preventDefault();
    const args = createArgs();
    if (!args[1])
        return;
    clearAlert();
    const btn = document.getElementById("c-run");
    btn.disabled = true;
    document.getElementById("create-progress").hidden = false;
    document.getElementById("create-progress").scrollIntoView({ block: "nearest" });
    document.getElementById("c-stages").replaceChildren();
    document.getElementById("c-result").textContent = "";
    setProgress(0, 1, "Starting");
    const st = { buf: "", doc: "", messages: [] };
    const feed = chunk => {
        st.buf += chunk;
        let i;
        while ((i = st.buf.indexOf("\n")) >= 0) {
            onCreateLine(st.buf.slice(0, i), st);
            st.buf = st.buf.slice(i + 1);
        }
    };
    const finish = () => {
        feed("\n");
        let d = null;
        try {
            d = JSON.parse(st.doc);
        } catch (_) { /* a refusal before the document: the sentence says it */ }
        if (d && d.ok)
            setProgress(1, 1, "Done");
        createResult(d, st.messages);
        btn.disabled = false;
        loadGuests();
    };
    cockpit.spawn([CLI, ...args], { superuser: "try", err: "out" })
        .stream(feed).then(finish, finish);
}

// ---- Delete: a dry run says what goes, then the confirmation ----

function deleteArgs(name, tree) {
    return tree ? ["delete", name, "--tree"] : ["delete", name];
}

function confirmDelete(name, tree = true) {
    clearAlert();
    runJson([...deleteArgs(name, tree), "--dry-run"]).then(r => {
        const d = r.doc;
        if (r.failed) {
            alert(sentence(r.err, r.err));
            return;
        }
        const items = [];
        if (d.undefined)
            items.push("the libvirt domain " + name + " (undefined)");
        if (d.boot_dir)
            items.push("its boot files in " + d.boot_dir);
        if (d.shared_initramfs_removed)
            items.push(d.shared_initramfs_removed + " shared initramfs image(s) no other guest uses");
        if (d.unpinned_ip)
            items.push("the DHCP pin of " + d.unpinned_ip);
        if (d.pin_kept)
            items.push("(kept: the DHCP pin of " + d.pin_kept + ", another domain uses its MAC)");
        if (d.tree)
            items.push("its root tree " + d.tree + " and everything in it");
        if (!items.length)
            items.push("nothing: create recorded nothing for " + name);
        const dlg = document.getElementById("confirm");
        document.getElementById("confirm-title").textContent = "Delete " + name + "? This removes:";
        document.getElementById("confirm-list").replaceChildren(...items.map(t => el("li", {}, t)));
        const ok = document.getElementById("confirm-ok");
        ok.onclick = () => {
            dlg.close();
            runJson(deleteArgs(name, tree)).then(x => {
                if (x.failed)
                    alert(sentence(x.err, x.err));
                else
                    alert("deleted " + name, "success");
                loadGuests();
            }, ex => alert(ex.message));
        };
        document.getElementById("confirm-cancel").onclick = () => dlg.close();
        dlg.showModal();
        document.getElementById("confirm-cancel").focus();
    }, ex => alert(ex.message));
}

// ---- Annotate ----

function runAnnotate(ev) {
    ev.preventDefault();
    const name = document.getElementById("a-name").value.trim();
    if (!name)
        return;
    const args = ["annotate", name];
    const path = document.getElementById("a-path").value.trim();
    if (path)
        args.push("--path", path);
    if (document.getElementById("a-pin").checked)
        args.push("--pin-address");
    const res = document.getElementById("a-result");
    res.textContent = "";
    runJson(args).then(r => {
        if (r.failed) {
            res.className = "nr-result nr-error";
            res.textContent = sentence(r.err, r.err);
            return;
        }
        res.className = "nr-result nr-ok";
        res.textContent = "annotated " + name + ": " + (r.doc.action || "done");
    }, ex => {
        res.className = "nr-result nr-error";
        res.textContent = ex.message;
    });
}

// ---- tabs: arrow keys move between them, as WAI-ARIA tabs do ----

function selectTab(tab) {
    for (const t of document.querySelectorAll("[role=tab]")) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        t.parentElement.classList.toggle("pf-m-current", on);
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (tab.id === "tab-check" && !document.body.dataset.doctorLoaded)
        runDoctor();
}

function setupTabs() {
    const tabs = [...document.querySelectorAll("[role=tab]")];
    tabs.forEach((t, i) => {
        t.addEventListener("click", () => selectTab(t));
        t.addEventListener("keydown", ev => {
            const d = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
            if (!d)
                return;
            const n = tabs[(i + d + tabs.length) % tabs.length];
            selectTab(n);
            n.focus();
        });
    });
}

// superuser "try" runs everything as the logged-in user when Cockpit's administrative access
// is off: say so, rather than leave a person with the failures alone.
function watchAdmin() {
    const p = cockpit.permission({ admin: true });
    const show = () => {
        document.getElementById("limited").hidden = p.allowed !== false;
    };
    p.addEventListener("changed", show);
    show();
}

function main() {
    tableHeads();
    formGroups();
    setupTabs();
    watchAdmin();
    document.getElementById("machines-link").addEventListener("click", ev => {
        ev.preventDefault();
        cockpit.jump("/machines");
    });
    document.getElementById("refresh").addEventListener("click", loadGuests);
    document.getElementById("validate-run").addEventListener("click", runValidate);
    document.getElementById("doctor-run").addEventListener("click", runDoctor);
    document.getElementById("create-form").addEventListener("submit", runCreate);
    document.getElementById("annotate-form").addEventListener("submit", runAnnotate);
    document.getElementById("delete-form").addEventListener("submit", ev => {
        ev.preventDefault();
        const name = document.getElementById("d-name").value.trim();
        if (name)
            confirmDelete(name, document.getElementById("d-tree").checked);
    });
    loadGuests();
    cockpit.transport.wait(() => {});
}

main();
