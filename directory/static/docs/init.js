// Starts Swagger UI on /docs. A file rather than an inline script, so that the page can send
// a Content-Security-Policy without 'unsafe-inline' for scripts.
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // No badge from the online validator: the page loads nothing from other hosts.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
  });
});
