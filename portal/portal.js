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

// Swagger UI leaves a few of its controls without an accessible name (the server selector, the
// dialog's close button, the parameters' and request body's fields) and labels the key input only
// "Value:". They are named here as Swagger UI renders them; a name the page already has is kept.
function nameControl(el, label) {
  if (el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby")) return;
  el.setAttribute("aria-label", label);
}

function nameControls(root) {
  for (const el of root.querySelectorAll("select#servers")) nameControl(el, "Server");
  for (const el of root.querySelectorAll(".dialog-ux button.close-modal")) nameControl(el, "Close");
  for (const box of root.querySelectorAll(".auth-container")) {
    const scheme =
      (box.querySelector("h4 code") ?? box.querySelector("h4"))?.textContent?.trim() ?? "credential";
    for (const el of box.querySelectorAll("input")) {
      const field = el.type === "password" ? "password" : el.id === "auth-username" ? "username" : "value";
      nameControl(el, `${scheme} ${field}`);
    }
  }
  for (const row of root.querySelectorAll("tr[data-param-name]")) {
    const label = `${row.dataset.paramName} (${row.dataset.paramIn} parameter)`;
    for (const el of row.querySelectorAll("input, select, textarea")) nameControl(el, label);
  }
  for (const el of root.querySelectorAll("textarea.body-param__text")) nameControl(el, "Request body");
  for (const el of root.querySelectorAll(".opblock-section-request-body select"))
    nameControl(el, "Request body content type");
  for (const el of root.querySelectorAll(".response-controls select, .response-content-type select"))
    nameControl(el, "Response content type");
}

const swaggerRoot = document.getElementById("swagger-ui");
nameControls(swaggerRoot);
new MutationObserver(() => nameControls(swaggerRoot)).observe(swaggerRoot, {
  childList: true,
  subtree: true,
});
