// botkit console: live refresh of the overview and a question before destructive buttons.
// Pages work without this script; it only adds to them. No inline code anywhere (see the CSP).
(function () {
  "use strict";

  var REFRESH_MS = 10000;

  function redrawChart(svg, chart) {
    var rects = svg.querySelectorAll("rect[data-i]");
    chart.bars.forEach(function (bar, i) {
      var rect = rects[i];
      if (!rect) { return; }
      rect.setAttribute("y", bar.y);
      rect.setAttribute("height", bar.h);
      var title = rect.querySelector("title");
      if (title) { title.textContent = bar.label; }
    });
  }

  function update(root, data) {
    Object.keys(data.display).forEach(function (name) {
      root.querySelectorAll("[data-stat]").forEach(function (el) {
        if (el.getAttribute("data-stat") === name) { el.textContent = data.display[name]; }
      });
    });
    Object.keys(data.charts).forEach(function (name) {
      var svg = root.querySelector('svg[data-series="' + name + '"]');
      var scale = root.querySelector('[data-scale="' + name + '"]');
      if (svg) { redrawChart(svg, data.charts[name]); }
      if (scale) { scale.textContent = String(data.charts[name].top); }
    });
    var live = root.querySelector("[data-live]");
    if (live) {
      live.classList.remove("stale");
      live.textContent = "updated " + new Date(data.now * 1000).toISOString()
        .replace("T", " ").slice(0, 19) + " UTC";
    }
  }

  function refresh(root) {
    fetch(root.getAttribute("data-refresh"), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 401) {  // the session ended: show the sign-in form
        window.location.reload();
        throw new Error("signed out");
      }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      update(root, data);
    }).catch(function () {
      var live = root.querySelector("[data-live]");
      if (live) { live.classList.add("stale"); live.textContent = "not updating"; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-refresh]");
    if (root) {
      window.setInterval(function () {
        if (!document.hidden) { refresh(root); }
      }, REFRESH_MS);
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
}());
