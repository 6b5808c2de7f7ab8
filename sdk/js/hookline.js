/* hookline browser SDK: hookline.init({key, endpoint, debug}); hookline.track("30552", {...}).
 * Events are batched (up to 20 or 1 s), retried with backoff on network errors
 * and 5xx/429, and flushed with navigator.sendBeacon when the page is hidden.
 * No dependencies. */
(function (w) {
  "use strict";
  var cfg = null, queue = [], timer = null, backoff = 0, sending = false;
  function log() { if (cfg && cfg.debug && w.console) w.console.log.apply(w.console, ["[hookline]"].concat([].slice.call(arguments))); }
  function url() { return cfg.endpoint.replace(/\/+$/, "") + "/api/v1/sdk/events"; }
  function schedule(ms) { if (!timer) timer = setTimeout(function () { timer = null; flush(); }, ms); }
  function flush() {
    if (!cfg || sending || !queue.length) return;
    var batch = queue.splice(0, 20);
    sending = true;
    log("sending", batch.length, "event(s)", batch);
    fetch(url(), {
      method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + cfg.key },
      body: JSON.stringify(batch)
    }).then(function (r) {
      sending = false;
      if (r.status === 429 || r.status >= 500) { throw new Error("HTTP " + r.status); }
      if (!r.ok) { log("dropped", batch.length, "event(s): HTTP", r.status); }
      else { log("accepted", batch.length, "event(s)"); }
      backoff = 0;
      if (queue.length) schedule(0);
    }).catch(function (err) {
      sending = false;
      queue = batch.concat(queue);
      backoff = Math.min(backoff ? backoff * 2 : 1000, 30000);
      log("send failed, retrying in", backoff, "ms:", String(err));
      schedule(backoff);
    });
  }
  function beacon() {
    if (!cfg || !queue.length || !navigator.sendBeacon) return;
    var batch = queue.splice(0, queue.length);
    var ok = navigator.sendBeacon(url() + "?key=" + encodeURIComponent(cfg.key), new Blob([JSON.stringify(batch)], { type: "text/plain" }));
    log("page hidden: beacon", ok ? "queued" : "refused", batch.length, "event(s)");
    if (!ok) queue = batch.concat(queue);
  }
  w.hookline = {
    init: function (o) {
      if (!o || !o.key) throw new Error("hookline.init needs {key}");
      cfg = { key: o.key, endpoint: o.endpoint || "", debug: !!o.debug };
      log("initialised for", url());
      w.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") beacon(); });
      w.addEventListener("pagehide", beacon);
    },
    track: function (type, data, opts) {
      if (!cfg) throw new Error("call hookline.init first");
      var ev = { type: String(type), data: data || {} };
      if (opts && opts.idempotencyKey) ev.idempotency_key = opts.idempotencyKey;
      queue.push(ev);
      log("track", ev);
      if (queue.length >= 20) flush(); else schedule(opts && opts.immediate ? 0 : 1000);
    },
    flush: flush
  };
})(window);
