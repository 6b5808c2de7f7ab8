// hookline admin: the hook editor's data picker. Template fields
// ([data-templated], after "{{") and expression fields ([data-expr]) offer
// the variables in scope as you type, and show the value of the one at the
// cursor in the sample data. The server says what is in scope
// (POST data-scope-url with the form); without this script the fields are
// plain inputs.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !form.getAttribute("data-scope-url")) { return; }
  var csrf = form.querySelector("input[name=csrf]").value;
  var url = form.getAttribute("data-scope-url");

  var scope = null;
  var scopeKey = null;
  var loading = null;
  var field = null;     // the input being completed
  var items = [];       // the suggestions shown
  var active = -1;
  var tokenStart = 0;
  var uid = 0;

  var list = document.createElement("ul");
  list.id = "picker-list";
  list.className = "var-picker";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Variables in scope");
  list.hidden = true;
  document.body.appendChild(list);

  function pickable(el) { return el && el.matches && el.matches("[data-templated], [data-expr]") && !el.closest("fieldset:disabled"); }

  // What the scope depends on; the scope is fetched again when it changes.
  // The test panel's sample data follows the trigger (the latest record or
  // event) until someone edits it.
  var testData = form.querySelector("[name=test_data]");
  var testEdited = form.getAttribute("data-errors") !== "[]";
  var keyRE = /^(trigger_kind|trigger\.event|trigger\.collection|account_id|test_data)$|^actions\[\d+\]\.(name|type)$/;
  function keyOf() {
    var parts = [];
    new FormData(form).forEach(function (v, k) {
      if (keyRE.test(k) && (k !== "test_data" || testEdited)) { parts.push(k + "=" + v); }
    });
    return parts.join("&");
  }
  function load() {
    var key = keyOf();
    if (scope && key === scopeKey) { return Promise.resolve(scope); }
    if (loading && loading.key === key) { return loading.p; }
    var body = new URLSearchParams(new FormData(form));
    if (!testEdited) { body.delete("test_data"); }
    var p = fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "hookline-admin", "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("scope " + r.status); }
      return r.json();
    }).then(function (s) {
      scope = s;
      scopeKey = key;
      if (testData && !testEdited && s.sample) { testData.value = s.sample; }
      return s;
    });
    loading = { key: key, p: p };
    p.catch(function () { loading = null; });
    return p;
  }

  // The action a field belongs to: steps of the actions before it only.
  function actionIndex(el) {
    var li = el.closest("[data-action]");
    if (!li) { return Infinity; }
    return Array.prototype.indexOf.call(li.parentNode.children, li);
  }
  function inScope(el) {
    var n = actionIndex(el);
    return scope.vars.filter(function (v) { return v.step < n; });
  }

  // The word being typed before the cursor, or null when the cursor is not
  // where a variable goes (outside a {{ }} hole, inside a string literal).
  function tokenAt(el) {
    var c = el.selectionStart;
    if (c == null || c !== el.selectionEnd) { return null; }
    var before = el.value.slice(0, c);
    if (el.hasAttribute("data-templated")) {
      var open = before.lastIndexOf("{{");
      if (open < 0 || before.lastIndexOf("}}") > open) { return null; }
      before = before.slice(open + 2);
    } else if ((before.match(/"/g) || []).length % 2 === 1 || (before.match(/'/g) || []).length % 2 === 1) {
      return null;
    }
    var m = before.match(/[A-Za-z_][\w.]*$/);
    var tok = m ? m[0] : "";
    if (!tok && !el.hasAttribute("data-templated")) { return null; }
    return { text: tok, start: c - tok.length };
  }

  function matches(vars, tok) {
    var q = tok.toLowerCase();
    var scored = [];
    vars.forEach(function (v, i) {
      var p = v.path.toLowerCase();
      var s = p.indexOf(q) === 0 ? 0 : (q && p.indexOf("." + q) >= 0 ? 1 : -1);
      if (s >= 0) { scored.push({ v: v, s: s, i: i }); }
    });
    scored.sort(function (a, b) { return a.s - b.s || a.i - b.i; });
    return scored.slice(0, 60).map(function (x) { return x.v; });
  }

  function sampleText(v) {
    if (v.sample === undefined) { return null; }
    var s = JSON.stringify(v.sample);
    return s.length > 80 ? s.slice(0, 79) + "…" : s;
  }

  // The preview line under the field.
  function previewOf(el) {
    var w = el.closest(".field") || el.parentNode;
    var p = w.querySelector(":scope > [data-pick-preview]");
    if (!p) {
      p = document.createElement("p");
      p.className = "pick-preview";
      p.setAttribute("data-pick-preview", "");
      p.setAttribute("aria-live", "polite");
      el.insertAdjacentElement("afterend", p);
    }
    return p;
  }
  function showPreview(el, v) {
    var p = previewOf(el);
    p.textContent = "";
    if (!v) { p.hidden = true; return; }
    var code = document.createElement("code");
    code.textContent = v.path;
    p.appendChild(code);
    var s = sampleText(v);
    var val = document.createElement("span");
    if (s !== null) {
      val.className = "pick-value";
      val.setAttribute("data-pick-value", "");
      val.textContent = " = " + s;
    } else {
      val.className = "muted";
      val.textContent = v.path.indexOf("secret.") === 0 ? " (the secret's value is never shown)" : " (no value in the sample data)";
    }
    p.appendChild(val);
    if (v.help || scope.source) {
      var h = document.createElement("span");
      h.className = "muted";
      h.textContent = " · " + (v.help || "") + (s !== null && scope.source ? " · sample from " + scope.source : "");
      p.appendChild(h);
    }
    p.hidden = false;
  }
  // The variable under the cursor, whole (also what follows the cursor).
  function varAtCursor(el) {
    var c = el.selectionStart;
    if (c == null || !scope) { return null; }
    // Just after a hole ("{{record.total}}|"): the hole's variable.
    var left = el.value.slice(0, c).replace(/\s*\}\}$/, "").match(/[\w.]*$/)[0];
    var right = el.value.slice(c).match(/^[\w.]*/)[0];
    var path = (left + right).replace(/\.+$/, "");
    if (!path) { return null; }
    var vars = inScope(el);
    for (var i = 0; i < vars.length; i++) { if (vars[i].path === path) { return vars[i]; } }
    return null;
  }

  function close() {
    list.hidden = true;
    items = [];
    active = -1;
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
  }

  // The list goes under the field, below its preview line when shown (the
  // preview names the highlighted suggestion's value and where it is from).
  function place(el) {
    var r = el.getBoundingClientRect();
    var p = el.nextElementSibling;
    var bottom = p && p.hasAttribute("data-pick-preview") && !p.hidden ? p.getBoundingClientRect().bottom : r.bottom;
    var vw = document.documentElement.clientWidth;
    var width = Math.min(Math.max(r.width, 280), vw - 16);
    var left = Math.min(r.left, vw - width - 8);
    list.style.width = width + "px";
    list.style.left = (Math.max(8, left) + window.scrollX) + "px";
    list.style.top = (bottom + window.scrollY + 2) + "px";
  }

  function render() {
    list.textContent = "";
    items.forEach(function (v, i) {
      var li = document.createElement("li");
      li.id = "pick-" + (++uid);
      li.setAttribute("role", "option");
      li.setAttribute("data-path", v.path);
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      var code = document.createElement("code");
      code.textContent = v.path;
      li.appendChild(code);
      var s = sampleText(v);
      var meta = document.createElement("span");
      meta.className = "pick-meta";
      meta.textContent = s !== null ? s : (v.kind || "");
      li.appendChild(meta);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    field.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    if (active >= 0 && list.children[active]) {
      field.setAttribute("aria-activedescendant", list.children[active].id);
      list.children[active].scrollIntoView({ block: "nearest" });
      showPreview(field, items[active]);
    }
    if (!list.hidden) { place(field); }
  }

  function update(el) {
    var tok = tokenAt(el);
    if (!tok) { close(); showPreview(el, varAtCursor(el)); return; }
    load().then(function () {
      if (document.activeElement !== el) { return; }
      tok = tokenAt(el);
      if (!tok) { close(); return; }
      field = el;
      tokenStart = tok.start;
      items = matches(inScope(el), tok.text);
      // Nothing more to offer than what is typed: just the preview.
      if (items.length === 1 && items[0].path === tok.text) { close(); showPreview(el, items[0]); return; }
      active = items.length ? 0 : -1;
      place(el);
      render();
      if (!items.length) { showPreview(el, null); }
    }, function () { close(); });
  }

  function choose(i) {
    var v = items[i];
    var el = field;
    if (!v || !el) { return; }
    var c = el.selectionStart;
    var before = el.value.slice(0, tokenStart);
    var after = el.value.slice(c).replace(/^[\w.]*/, "");
    var ins = v.path;
    var caret = before.length + ins.length;
    if (el.hasAttribute("data-templated") && !/^\s*\}\}/.test(after)) {
      ins += "}}";
      caret += 2;
    }
    el.value = before + ins + after;
    el.setSelectionRange(caret, caret);
    close();
    el.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    showPreview(el, v);
  }

  form.addEventListener("focusin", function (ev) {
    if (!pickable(ev.target)) { return; }
    ev.target.setAttribute("aria-autocomplete", "list");
    ev.target.setAttribute("aria-controls", list.id);
    ev.target.setAttribute("aria-expanded", "false");
    load().then(function () { if (document.activeElement === ev.target) { showPreview(ev.target, varAtCursor(ev.target)); } }, function () {});
  });
  form.addEventListener("input", function (ev) {
    if (ev.target === testData) { testEdited = true; }
    if (pickable(ev.target) && ev.isTrusted) { update(ev.target); }
  });
  // A new trigger (kind, collection, event) brings its own sample data.
  form.addEventListener("change", function (ev) {
    if (!testEdited && keyRE.test(ev.target.name || "") && ev.target !== testData) { load().catch(function () {}); }
  });
  form.addEventListener("click", function (ev) {
    if (pickable(ev.target)) { update(ev.target); }
  });
  form.addEventListener("keyup", function (ev) {
    if (pickable(ev.target) && /^(ArrowLeft|ArrowRight|Home|End)$/.test(ev.key)) { update(ev.target); }
  });
  form.addEventListener("focusout", function (ev) {
    if (ev.target === field) { setTimeout(function () { if (document.activeElement !== field) { close(); } }, 0); }
  });
  form.addEventListener("keydown", function (ev) {
    if (list.hidden || ev.target !== field) { return; }
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      var n = items.length;
      active = (active + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
      render();
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      if (active < 0) { return; }
      swallow = ev.key === "Enter";
      choose(active);
    } else if (ev.key === "Escape") {
      close();
    } else {
      return;
    }
    ev.preventDefault();
  });
  // The Enter that chose a suggestion adds no line break (some input
  // methods send it apart from the keydown).
  var swallow = false;
  form.addEventListener("beforeinput", function (ev) {
    if (swallow && /^insert(LineBreak|Paragraph)$/.test(ev.inputType)) { ev.preventDefault(); }
    swallow = false;
  });
  form.addEventListener("keyup", function () { swallow = false; });
  // A press on a suggestion keeps the focus in the field.
  list.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
  list.addEventListener("click", function (ev) {
    var li = ev.target.closest("[role=option]");
    if (li) { choose(Array.prototype.indexOf.call(list.children, li)); }
  });
  window.addEventListener("resize", function () { if (!list.hidden && field) { place(field); } });
})();
