// Starts Swagger UI on the API docs page (backend/templates/swagger_ui.html): the spec's URL and
// the configuration come from data attributes, so the page needs no inline script.
(function () {
  var container = document.getElementById("swagger-ui-container");
  var config = { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(container.dataset.config || "{}");
  for (var name in extra) { config[name] = extra[name]; }
  window.addEventListener("load", function () { window.ui = SwaggerUIBundle(config); });
})();
