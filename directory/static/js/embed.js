/* Therapist directory embed (v1): <div data-therapist-directory data-partner="KEY" ...></div>
 * Puts the results widget in each such div, as an iframe from the directory, and resizes it
 * to its content. It adds nothing else to the page: no globals, no styles, no cookies.
 * Options are data-* attributes: every search parameter (data-near, data-couples,
 * data-specialty="polyamory,kink", data-per-page, ...), data-layout (compact | full) and
 * data-title (the frame's accessible name). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src*='/embed/v1/embed.js']");
    script = all[all.length - 1];
  }
  if (!script) return;
  var base = new URL(script.src, document.baseURI);
  var LISTS = ["specialty", "modality", "language", "insurance", "format"];
  // The documented options; other data-* attributes on the div (data-testid, ...) are the
  // partner's own business and stay out of the widget's address.
  var OPTIONS = LISTS.concat(["partner", "near", "lat", "lon", "radius", "unit", "couples",
    "video", "intro_video", "q", "accepting", "free_consultation", "max_fee", "sliding_scale",
    "sort", "per_page", "layout"]);
  var frames = [];

  function snake(name) {
    return name.replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); });
  }

  function widgetUrl(div, number) {
    var url = new URL("/embed/v1/widget", base);
    var data = div.dataset;
    Object.keys(data).forEach(function (key) {
      var name = snake(key);
      if (OPTIONS.indexOf(name) < 0) return;
      var value = String(data[key]).trim();
      if (!value) return;
      if (LISTS.indexOf(name) >= 0) {
        value.split(",").forEach(function (item) {
          if (item.trim()) url.searchParams.append(name, item.trim());
        });
      } else {
        url.searchParams.set(name, value);
      }
    });
    url.searchParams.set("origin", window.location.origin);
    url.searchParams.set("frame", String(number));
    return url.toString();
  }

  function mount(div) {
    if (div.getAttribute("data-td-frame")) return;
    var number = frames.length + 1;
    div.setAttribute("data-td-frame", String(number));
    var frame = document.createElement("iframe");
    frame.src = widgetUrl(div, number);
    frame.title = div.getAttribute("data-title") || "Therapist directory: search results";
    frame.loading = "lazy";
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups " +
      "allow-popups-to-escape-sandbox");
    frame.style.width = "100%";
    frame.style.height = "480px";
    frame.style.border = "0";
    frame.style.display = "block";
    div.appendChild(frame);
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base.origin) return;
    var data = event.data;
    if (!data || data.type !== "therapist-directory:resize") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        var height = Number(data.height);
        if (height > 0 && height < 20000) frames[i].style.height = Math.ceil(height) + "px";
        return;
      }
    }
  });

  function mountAll() {
    document.querySelectorAll("div[data-therapist-directory]").forEach(mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
