// Inside the partner widget: tell the embedding page how tall the content is, so it can size
// the frame to fit. Messages go only to the partner origin the server checked
// (data-parent-origin); they carry the frame's number and a height, nothing else.
(function () {
  "use strict";
  var root = document.documentElement;
  var parentOrigin = root.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  var frame = root.getAttribute("data-frame") || "";
  var last = 0;
  function report() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({type: "therapist-directory:resize", frame: frame, height: height},
      parentOrigin);
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(root);
  window.addEventListener("load", report);
  report();
})();
