/**
 * The portal's index page: the built page (dist/portal/index.html) with the list of services put in
 * at its marker, rendered here so the list is there without script; every value HTML-escaped.
 * Without a built front-end, a plain page with the same list and links to the documents.
 */
import type { RouteSummary, ServiceEntry } from "./catalogue.js";

export const SERVICES_MARKER = "<!--gatestack:services-->";

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function list(values: string[], empty: string): string {
  return values.length === 0
    ? `<span class="any">${empty}</span>`
    : values.map((v) => `<code>${escapeHtml(v)}</code>`).join(" ");
}

function routeRow(r: RouteSummary): string {
  return (
    `<tr><th scope="row">${escapeHtml(r.name)}</th><td>${list(r.methods, "any")}</td>` +
    `<td>${list(r.paths, "any")}${r.note === null ? "" : `<p class="route-note">${escapeHtml(r.note)}</p>`}</td>` +
    `<td>${list(r.hosts, "any")}</td>` +
    `<td>${list(r.authentication, "none")}</td></tr>`
  );
}

function routesTable(s: ServiceEntry): string {
  if (s.routes.length === 0)
    return `<p class="no-routes">No routes: this service is not reachable through the gateway.</p>`;
  return (
    `<table class="routes"><caption>Routes of ${escapeHtml(s.name)}</caption>` +
    '<thead><tr><th scope="col">Route</th><th scope="col">Methods</th><th scope="col">Paths</th>' +
    '<th scope="col">Hosts</th><th scope="col">Authentication</th></tr></thead>' +
    `<tbody>${s.routes.map(routeRow).join("")}</tbody></table>`
  );
}

function serviceItem(s: ServiceEntry): string {
  const name = escapeHtml(s.name);
  const head =
    s.spec !== null
      ? `<h3><a href="?service=${encodeURIComponent(s.name)}">${name}</a> <span class="badge">OpenAPI</span></h3>`
      : `<h3>${name} <span class="badge muted">routes only</span></h3><p class="reason">No OpenAPI document: ${escapeHtml(s.reason ?? "none served")}.</p>`;
  const routes =
    s.spec !== null ? `<details><summary>Routes</summary>${routesTable(s)}</details>` : routesTable(s);
  return `<li class="service${s.spec === null ? " no-spec" : ""}" data-service="${name}">${head}${routes}</li>`;
}

/** The services list (the part of the page the gateway renders). */
export function servicesHtml(services: readonly ServiceEntry[]): string {
  if (services.length === 0) return `<p class="empty">The gateway serves no services yet.</p>`;
  return `<ul class="services">${services.map(serviceItem).join("")}</ul>`;
}

/** The index page: `template` with the list at its marker, or a plain page when there is none. */
export function indexPage(template: string | null, services: readonly ServiceEntry[]): string {
  const html = servicesHtml(services);
  if (template?.includes(SERVICES_MARKER)) return template.replace(SERVICES_MARKER, () => html);
  const links = services
    .filter((s) => s.spec !== null)
    .map((s) => `<li><a href="${escapeHtml(s.spec ?? "")}">${escapeHtml(s.name)} (OpenAPI JSON)</a></li>`)
    .join("");
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API portal</title></head><body>' +
    "<h1>API portal</h1><p>The portal's front-end is not built (npm run build); the documents are below.</p>" +
    `${html}<ul>${links}</ul></body></html>`
  );
}
