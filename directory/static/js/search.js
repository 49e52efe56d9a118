// The search page, improved: filters update the results in place (the URL stays shareable
// and Back works), the result count is announced, and results are drawn on a map.
// Without this script the page works as a plain form.
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");
  var REGIONS = ["search-bar", "filters", "results"];
  var map = null;

  function form() { return document.getElementById("search-form"); }

  function queryOf(f) {
    var params = new URLSearchParams();
    new FormData(f).forEach(function (value, key) {
      if (String(value).trim() !== "") params.append(key, String(value).trim());
    });
    var text = params.toString();
    return text ? "?" + text : window.location.pathname;
  }

  function announce() {
    var heading = document.getElementById("results-heading");
    var status = document.getElementById("result-status");
    if (heading && status) status.textContent = heading.textContent.trim();
  }

  // On a phone the filters start folded away under their summary, above the results.
  var narrow = window.matchMedia("(max-width: 959px)");
  var panel = document.getElementById("filters-panel");
  if (panel && narrow.matches) panel.open = false;

  // Which folded groups are open, so that an update does not close them under the visitor.
  function openGroups() {
    var open = [];
    document.querySelectorAll("#filters fieldset details[open]").forEach(function (d) {
      var owner = d.closest("fieldset");
      if (owner) open.push(owner.id);
    });
    return open;
  }

  function load(url, push, focusId, focusResults) {
    var keepOpen = openGroups();
    var current = document.getElementById("filters-panel");
    var panelOpen = current ? current.open : !narrow.matches;
    document.body.classList.add("is-loading");
    return fetch(url, {headers: {"Accept": "text/html"}, credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (!doc.getElementById("search-form")) { window.location.assign(url); return; }
        REGIONS.forEach(function (id) {
          var old = document.getElementById(id), next = doc.getElementById(id);
          if (old && next) old.replaceWith(document.importNode(next, true));
        });
        var fresh = document.getElementById("filters-panel");
        if (fresh) fresh.open = panelOpen || !narrow.matches;
        keepOpen.forEach(function (id) {
          var d = document.querySelector("#" + id + " details");
          if (d) d.open = true;
        });
        document.title = doc.title;
        if (push) window.history.pushState({}, "", url);
        announce();
        var target = focusId && document.getElementById(focusId);
        if (target) {
          target.focus();
        } else if (focusResults) {
          var heading = document.getElementById("results-heading");
          if (heading) {
            heading.setAttribute("tabindex", "-1");
            heading.focus();
          }
        }
        drawMap();
      })
      .catch(function () { window.location.assign(url); })
      .then(function () { document.body.classList.remove("is-loading"); });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    var f = form();
    if (!f || !f.contains(el) || el.type === "text" || el.type === "search") return;
    load(queryOf(f), true, el.id);
  });

  document.addEventListener("submit", function (event) {
    if (event.target !== form()) return;
    event.preventDefault();
    var active = document.activeElement;
    load(queryOf(event.target), true, active && active.id, !(active && active.id));
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#results a[href^='?']");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    load(link.getAttribute("href"), true, null, true);
    var results = document.getElementById("results");
    if (results) results.scrollIntoView({block: "start"});
  });

  window.addEventListener("popstate", function () { load(window.location.href, false); });

  // Leaflet puts strings into the page as HTML; place names are text.
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function drawMap() {
    if (map) { map.remove(); map = null; }
    var el = document.getElementById("results-map");
    var source = document.getElementById("map-data");
    if (!el || !source) return;
    if (!window.L) { loadLeaflet(el); return; }
    var data = JSON.parse(source.textContent);
    map = window.L.map(el, {scrollWheelZoom: false});
    if (data.tiles) {
      window.L.tileLayer(data.tiles, {attribution: data.attribution, maxZoom: 18}).addTo(map);
    }
    var points = [];
    if (data.place) {
      window.L.circle([data.place.lat, data.place.lon], {radius: data.place.radius_m,
        className: "search-radius", color: "#0b6560", weight: 1, fillOpacity: 0.04,
        interactive: false}).addTo(map);
      window.L.circleMarker([data.place.lat, data.place.lon], {radius: 7, className: "place-marker",
        color: "#1c2128", weight: 2, fillColor: "#fbbf24", fillOpacity: 1})
        .bindTooltip(textNode(data.place.label)).addTo(map);
      points.push([data.place.lat, data.place.lon]);
    }
    data.markers.forEach(function (m) {
      var link = document.createElement("a");
      link.href = m.url;
      link.textContent = m.name + " (" + m.label + ")";
      window.L.circleMarker([m.lat, m.lon], {radius: 8, className: "result-marker",
        color: "#ffffff", weight: 2, fillColor: "#0b6560", fillOpacity: 0.95})
        .bindPopup(link).addTo(map);
      points.push([m.lat, m.lon]);
    });
    if (points.length === 1) map.setView(points[0], 11);
    else if (points.length) map.fitBounds(points, {padding: [24, 24], maxZoom: 13});
  }

  // Leaflet (bundled with the app) is fetched only when there is a map to draw.
  var leafletRequested = false;
  function loadLeaflet(el) {
    if (leafletRequested) return;
    leafletRequested = true;
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = el.getAttribute("data-style");
    document.head.appendChild(style);
    var script = document.createElement("script");
    script.src = el.getAttribute("data-script");
    script.onload = drawMap;
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawMap);
  else drawMap();
})();
