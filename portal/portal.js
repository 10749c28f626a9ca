// The developer portal's page script (served as assets/portal.js; the page runs no inline script).
// It asks the portal for its services and starts Swagger UI with one document per service that has
// one; `?service=<name>` (the services list's links) picks the one shown first. Every address is
// relative, so the portal works below the prefix Caddy serves it at (/portal/).
/* global SwaggerUIBundle, SwaggerUIStandalonePreset */
async function startPortal() {
  const res = await fetch("services.json", { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`services.json answered ${res.status}`);
  const { services } = await res.json();
  const urls = services.filter((s) => s.spec !== null).map((s) => ({ name: s.name, url: s.spec }));
  const root = document.getElementById("swagger-ui");
  if (urls.length === 0) {
    root.hidden = true;
    return;
  }
  const wanted = new URLSearchParams(window.location.search).get("service");
  const primary = urls.some((u) => u.name === wanted) ? wanted : urls[0].name;
  window.ui = SwaggerUIBundle({
    urls,
    "urls.primaryName": primary,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    // no request to validator.swagger.io (or anywhere but this origin)
    validatorUrl: null,
    displayRequestDuration: true,
    persistAuthorization: false,
  });
}

startPortal().catch((err) => {
  const box = document.getElementById("portal-error");
  box.textContent = `The portal could not load its services: ${err.message}`;
  box.hidden = false;
});
