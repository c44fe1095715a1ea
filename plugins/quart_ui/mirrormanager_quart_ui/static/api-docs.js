// The API docs page: Swagger UI on /api/openapi.json.  A logged-in browser's writes send the
// session's CSRF token (from /api/v1/me) in X-CSRF-Token, as the API asks.
(function () {
  "use strict";
  var csrf = null;
  fetch("/api/v1/me", {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (me) { csrf = me.csrf_token; })
    .catch(function () { csrf = null; });
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: document.body.dataset.spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      requestInterceptor: function (request) {
        if (csrf && request.method && request.method.toUpperCase() !== "GET") {
          request.headers["X-CSRF-Token"] = csrf;
        }
        return request;
      }
    });
  });
}());
