// The API docs page: Swagger UI (vendored) reading the generated OpenAPI document.
(function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({ url: node.dataset.specUrl, domNode: node, deepLinking: true });
})();
