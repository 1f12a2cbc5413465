// piktid-mock dashboard: refresh the live sections without a reload by polling /_mock/ui/live.
// The server returns each section's HTML already escaped; a section is replaced only when it changed.
(function () {
  "use strict";
  var INTERVAL_MS = 1000;
  var url = document.body.getAttribute("data-live-url");
  var status = document.getElementById("live-status");
  var sections = {};
  document.querySelectorAll("[data-live]").forEach(function (el) {
    sections[el.getAttribute("data-live")] = { el: el, html: el.innerHTML };
  });

  function apply(name, html) {
    var section = sections[name];
    if (!section || typeof html !== "string" || html === section.html) return;
    section.el.innerHTML = html;
    section.html = html;
  }

  function poll() {
    fetch(url + window.location.search, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (fragments) {
        Object.keys(fragments).forEach(function (name) { apply(name, fragments[name]); });
        status.textContent = "live";
        status.className = "live";
      })
      .catch(function () {
        status.textContent = "offline";
        status.className = "live stale";
      })
      .finally(function () { window.setTimeout(poll, INTERVAL_MS); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
