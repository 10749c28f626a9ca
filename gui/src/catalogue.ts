/** The schemas the forms are generated from, fetched once per page load. */
import { get } from "./api.js";
import type { CatalogueEntry, JsonSchema } from "./types.js";

let entitySchemas: Promise<Record<string, JsonSchema>> | null = null;
let catalogue: Promise<CatalogueEntry[]> | null = null;

export function loadEntitySchemas(): Promise<Record<string, JsonSchema>> {
  entitySchemas ??= get<Record<string, JsonSchema>>("gui-api/entity-schemas").catch((err: unknown) => {
    entitySchemas = null;
    throw err;
  });
  return entitySchemas;
}

export function loadCatalogue(): Promise<CatalogueEntry[]> {
  catalogue ??= get<CatalogueEntry[]>("gui-api/plugin-catalogue").catch((err: unknown) => {
    catalogue = null;
    throw err;
  });
  return catalogue;
}
