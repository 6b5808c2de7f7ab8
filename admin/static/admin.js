// hookline admin: small progressive enhancements, no dependencies.
// Every page works without this script; it adds confirmations, copy
// buttons, auto-refresh and the hook editor's live behaviour.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Confirmations: forms or submit buttons with data-confirm.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var btn = ev.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });

  // Selects that submit their form on change (account pickers).
  $$("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  // The execution log's custom time range shows with its choice.
  $$("select[data-range-toggle]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      $$("[data-range]", sel.form).forEach(function (el) { el.hidden = sel.value !== "custom"; });
    });
  });

  // Copy buttons: data-copy="#target".
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) { return; }
    var el = $(btn.getAttribute("data-copy"));
    if (!el) { return; }
    var text = el.textContent.trim();
    var done = function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var r = document.createRange();
      r.selectNodeContents(el);
      var s = window.getSelection();
      s.removeAllRanges();
      s.addRange(r);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  // Pages with running executions refresh themselves while nobody types.
  var auto = $("[data-autorefresh]");
  if (auto) {
    setTimeout(function () {
      var a = document.activeElement;
      if (!a || !/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) { window.location.reload(); }
    }, parseInt(auto.getAttribute("data-autorefresh"), 10) || 3000);
  }

  // Parts of a page that change by themselves (the nodes of a cluster)
  // are fetched again in place, every few seconds while the page is seen,
  // leaving the rest of the page (its forms) alone.
  Array.prototype.forEach.call(document.querySelectorAll("[data-refresh-part][id]"), function (part) {
    var every = parseInt(part.getAttribute("data-refresh-part"), 10) || 5000;
    function later() { setTimeout(tick, every); }
    function tick() {
      if (document.hidden) { later(); return; }
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById(part.id);
          if (fresh) { part.innerHTML = fresh.innerHTML; }
        })
        .catch(function () { /* offline for a moment: try again later */ })
        .then(later);
    }
    later();
  });

  var form = $("#editor");
  if (form) { editor(form); }

  function editor(form) {
    var csrf = form.querySelector("input[name=csrf]").value;
    var list = $("[data-actions]", form);
    var preview = $("[data-schedule-preview]", form);
    var state = $("[data-live-state]", form);
    var touched = {};
    var showAll = false;
    var lastErrors = [];
    var lastWarnings = [];
    var seq = 0;
    var dirty = false;
    var submitting = false;
    var timer = null;

    try { lastErrors = JSON.parse(form.getAttribute("data-errors") || "[]"); } catch (e) { lastErrors = []; }
    if (lastErrors.length) { showAll = true; }

    function post(url, accept) {
      var body = new URLSearchParams(new FormData(form));
      return fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-Requested-With": "hookline-admin", "X-CSRF-Token": csrf, "Accept": accept }
      });
    }

    // Show exactly one group of fieldsets: the one matching the value.
    function switchGroup(sel, attr, value) {
      $$(sel, form).forEach(function (fs) {
        var on = fs.getAttribute(attr) === value;
        fs.disabled = !on;
        fs.hidden = !on;
      });
    }
    function radioValue(name) {
      var r = form.querySelector("input[name='" + name + "']:checked");
      return r ? r.value : "";
    }
    function syncKinds() {
      switchGroup("fieldset[data-kind]", "data-kind", radioValue("trigger_kind"));
      switchGroup("fieldset[data-skind]", "data-skind", radioValue("schedule_kind"));
      $$("[data-action]", list).forEach(syncType);
      updateInbound();
    }
    function syncType(li) {
      var sel = $("[data-action-type]", li);
      if (!sel) { return; }
      $$("fieldset.cfg", li).forEach(function (fs) {
        var on = fs.getAttribute("data-type") === sel.value;
        fs.disabled = !on;
        fs.hidden = !on;
      });
    }

    // Renumber names, ids and error targets after adding, removing or moving.
    var attrs = ["id", "for", "name", "data-field", "aria-describedby"];
    function rewrite(root, re, rep) {
      $$("*", root).forEach(function (el) {
        attrs.forEach(function (a) {
          var v = el.getAttribute(a);
          if (v && v.indexOf("[") >= 0) { el.setAttribute(a, v.replace(re, rep)); }
        });
      });
    }
    function renumber() {
      $$(":scope > [data-action]", list).forEach(function (li, i) {
        rewrite(li, /actions\[[^\]]*\]/g, "actions[" + i + "]");
        var num = $("[data-num]", li);
        if (num) { num.textContent = String(i + 1); }
        var cases = $$("[data-case]", li);
        cases.forEach(function (c, j) {
          rewrite(c, /cases\[[^\]]*\]/g, "cases[" + j + "]");
          var cn = $("[data-case-num]", c);
          if (cn) { cn.textContent = "Case " + (j + 1); }
        });
        var el = $("[data-else]", li);
        if (el) { el.hidden = cases.length === 0; }
      });
    }
    function fromTemplate(id) {
      return document.importNode($("#" + id).content, true).firstElementChild;
    }

    form.addEventListener("click", function (ev) {
      var t = ev.target.closest("button");
      if (!t || !form.contains(t)) { return; }
      var li = t.closest("[data-action]");
      if (t.hasAttribute("data-add-action")) {
        var node = fromTemplate("tpl-action");
        list.appendChild(node);
        renumber();
        syncType(node);
        $("[data-action-type]", node).focus();
      } else if (t.hasAttribute("data-remove-action") && li) {
        var next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        renumber();
        (next ? $("[data-action-type]", next) : $("[data-add-action]", form)).focus();
      } else if (t.hasAttribute("data-move") && li) {
        var up = t.getAttribute("data-move") === "-1";
        var sib = up ? li.previousElementSibling : li.nextElementSibling;
        if (!sib) { return; }
        if (up) { list.insertBefore(li, sib); } else { list.insertBefore(sib, li); }
        renumber();
        t.focus();
      } else if (t.hasAttribute("data-add-case") && li) {
        var c = fromTemplate("tpl-case");
        $("[data-cases]", li).appendChild(c);
        renumber();
        syncType(li);
        $("input", c).focus();
      } else if (t.hasAttribute("data-remove-case")) {
        var cs = t.closest("[data-case]");
        var owner = cs.closest("[data-action]");
        cs.remove();
        renumber();
        $("[data-add-case]", owner).focus();
      } else if (t.hasAttribute("data-add-time")) {
        var ti = fromTemplate("tpl-time");
        t.parentNode.insertBefore(ti, t);
        $("input", ti).focus();
      } else if (t.hasAttribute("data-remove-time")) {
        var box = t.closest("[data-times]");
        t.closest(".time-item").remove();
        $("[data-add-time]", box).focus();
      } else if (t.hasAttribute("data-dryrun")) {
        dryRun(t);
        return;
      } else if (t.hasAttribute("data-show-errors")) {
        showAll = true;
        place(lastErrors);
        focusFirst();
        return;
      } else {
        return;
      }
      dirty = true;
      schedule();
    });

    form.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t.name === "trigger_kind" || t.name === "schedule_kind") { syncKinds(); }
      if (t.hasAttribute("data-action-type")) { syncType(t.closest("[data-action]")); }
      touch(t);
      schedule(ev);
    });
    form.addEventListener("input", function (ev) {
      var ta = ev.target;
      if (ta.tagName === "TEXTAREA" && ta.classList.contains("mono")) {
        var want = Math.min(Math.max(ta.value.split("\n").length, parseInt(ta.getAttribute("data-min-rows") || ta.rows, 10)), 16);
        if (!ta.hasAttribute("data-min-rows")) { ta.setAttribute("data-min-rows", String(ta.rows)); }
        ta.rows = want;
      }
      touch(ev.target);
      if (ev.target.name === "trigger.path" || ev.target.name === "account_id") { updateInbound(); }
      schedule(ev);
    });
    form.addEventListener("submit", function () { showAll = true; submitting = true; });

    function touch(el) {
      if (!el || el.hasAttribute("data-no-live")) { return; }
      dirty = true;
      var w = el.closest("[data-field]");
      if (w) { touched[w.getAttribute("data-field")] = true; }
    }

    function updateInbound() {
      var out = $("[data-inbound-url]", form);
      if (!out) { return; }
      var acc = form.querySelector("[name=account_id]:not([disabled])");
      var path = form.querySelector("[name='trigger.path']");
      out.textContent = form.getAttribute("data-inbound-base") + (acc ? acc.value : "") + "/" +
        (path ? path.value.replace(/^\/+/, "") : "");
    }

    function schedule(ev) {
      if (ev && ev.target && ev.target.hasAttribute && ev.target.hasAttribute("data-no-live")) { return; }
      clearTimeout(timer);
      timer = setTimeout(live, 350);
    }

    function live() {
      var my = ++seq;
      if (state) { state.textContent = "Checking…"; }
      post(form.getAttribute("data-live-url"), "application/json").then(function (r) {
        if (r.status === 401) { throw new Error("Your session ended: sign in again in another tab, then keep editing."); }
        if (!r.ok) { throw new Error("Could not check the hook (" + r.status + ")."); }
        return r.json();
      }).then(function (ans) {
        if (my !== seq) { return; }
        lastErrors = ans.errors || [];
        lastWarnings = ans.warnings || [];
        placeWarnings(lastWarnings);
        place(lastErrors);
        if (preview) {
          if (ans.schedule) { preview.innerHTML = ans.schedule; } else if (radioValue("trigger_kind") !== "schedule") { preview.innerHTML = ""; }
        }
      }).catch(function (e) {
        if (my === seq && state) { state.textContent = e.message; }
      });
    }

    // The wrapper ([data-field]) that best fits a field path: the longest
    // data-field prefix among the enabled ones.
    function wrapperOf(field, wrappers) {
      var best = null;
      var bestLen = -1;
      wrappers.forEach(function (w) {
        var f = w.getAttribute("data-field");
        var hit = field === f || field.indexOf(f + ".") === 0 || field.indexOf(f + "[") === 0;
        if (hit && f.length > bestLen) { best = w; bestLen = f.length; }
      });
      return best;
    }
    function enabledWrappers() {
      return $$("[data-field]", form).filter(function (w) { return !w.closest("fieldset:disabled"); });
    }

    // Put each error beside the closest field.
    function place(errors) {
      $$(".err", form).forEach(function (p) { p.hidden = true; p.textContent = ""; });
      $$("[aria-invalid]", form).forEach(function (el) { el.removeAttribute("aria-invalid"); });
      var wrappers = enabledWrappers();
      var hiddenCount = 0;
      var loose = [];
      errors.forEach(function (e) {
        var best = wrapperOf(e.field, wrappers);
        if (!best) { loose.push(e); return; }
        var key = best.getAttribute("data-field");
        if (!showAll && !touched[key] && !touchedBelow(key)) { hiddenCount++; return; }
        var p = best.querySelector(":scope > .err");
        if (!p) { loose.push(e); return; }
        var msg = e.field === key ? e.message : e.field.slice(key.length).replace(/^\./, "") + ": " + e.message;
        p.textContent = p.textContent ? p.textContent + " " + msg : msg;
        p.hidden = false;
        p.id = "err-" + key;
        $$("input:not([type=checkbox]):not([type=radio]), select, textarea", best).forEach(function (el) {
          if (!el.closest("[data-case]") || best.closest("[data-case]")) {
            el.setAttribute("aria-invalid", "true");
            el.setAttribute("aria-describedby", p.id);
          }
        });
      });
      if (state) {
        state.innerHTML = "";
        var nw = lastWarnings.length;
        var wtext = nw ? " · " + nw + (nw === 1 ? " warning" : " warnings") : "";
        if (!errors.length) {
          state.textContent = "✓ Ready to save" + wtext;
        } else {
          var n = errors.length;
          state.appendChild(document.createTextNode(n + (n === 1 ? " problem" : " problems") + " to fix before saving" +
            (loose.length ? ": " + loose.map(function (e) { return e.message; }).join("; ") : "") + wtext));
          if (n > loose.length) {
            var b = document.createElement("button");
            b.type = "button";
            b.className = "btn sm ghost";
            b.setAttribute("data-show-errors", "");
            b.textContent = hiddenCount ? "Show" : "Go to the first";
            state.appendChild(document.createTextNode(" "));
            state.appendChild(b);
          }
        }
      }
    }

    // Warnings (an unconfigured provider, a missing collection, a fail-open
    // condition) go beside their field; they do not stop saving.
    function placeWarnings(ws) {
      $$(".fwarn", form).forEach(function (p) { p.remove(); });
      var wrappers = enabledWrappers();
      ws.forEach(function (w) {
        var best = wrapperOf(w.field, wrappers);
        if (!best) { return; }
        var p = document.createElement("p");
        p.className = "fwarn";
        p.setAttribute("data-warning", w.field);
        p.textContent = w.message;
        var head = best.closest(".action-head");
        if (head) { // beside a narrow input of the action's head: below the head
          head.parentNode.insertBefore(p, head.nextSibling);
          return;
        }
        var err = best.querySelector(":scope > .err");
        best.insertBefore(p, err || null);
      });
    }

    // Scroll to the first problem shown and put the cursor in its field.
    function focusFirst() {
      var p = $$(".err", form).filter(function (e) { return !e.hidden && !e.closest("fieldset:disabled"); })[0];
      if (!p) { return; }
      var w = p.closest("[data-field]");
      var det = p.closest("details");
      if (det) { det.open = true; }
      var el = w && $("input:not([type=hidden]), select, textarea", w);
      (el || p).scrollIntoView({ block: "center" });
      if (el) { el.focus({ preventScroll: true }); }
    }
    function touchedBelow(key) {
      for (var k in touched) {
        if (k.indexOf(key + ".") === 0 || k.indexOf(key + "[") === 0) { return true; }
      }
      return false;
    }

    function dryRun(btn) {
      var out = $("[data-dryrun-result]", form);
      btn.disabled = true;
      out.innerHTML = "<p class=\"muted\">Running…</p>";
      post(form.getAttribute("data-dryrun-url"), "text/html").then(function (r) {
        if (r.status === 401) { throw new Error("Your session ended: sign in again."); }
        if (!r.ok) { throw new Error("The test could not run (" + r.status + ")."); }
        return r.text();
      }).then(function (html) {
        out.innerHTML = html;
      }).catch(function (e) {
        out.innerHTML = "";
        var p = document.createElement("p");
        p.className = "alert error";
        p.textContent = e.message;
        out.appendChild(p);
      }).finally(function () { btn.disabled = false; });
    }

    // Unsaved changes: leaving the page asks first.
    window.addEventListener("beforeunload", function (ev) {
      if (dirty && !submitting) { ev.preventDefault(); ev.returnValue = ""; }
    });

    syncKinds();
    if (lastErrors.length) {
      dirty = true; // a refused save: what was typed is not saved
      place(lastErrors);
      focusFirst();
      live();
    } else { live(); }
  }
})();
