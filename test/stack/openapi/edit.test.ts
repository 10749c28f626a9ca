import { describe, expect, it } from "vitest";
import { mergeRoutes } from "../../../src/stack/openapi/edit.js";
import type { ImportedRoute } from "../../../src/stack/openapi/routes.js";

const ROUTE: ImportedRoute = {
  name: "app-read-item",
  paths: ["~/items/(?<item_id>[^#?/]+)$"],
  methods: ["GET"],
  strip_path: false,
  regex_priority: 100,
  tags: ["openapi"],
};

describe("mergeRoutes keeps the file's own layout", () => {
  for (const [style, text] of [
    [
      "sequences indented, flow lists unpadded (stack init's)",
      "name: demo\ntemplate: monolith\nservices:\n  - name: app # the app\n    routes:\n      - name: api\n        paths: [/api]\n",
    ],
    [
      "sequences at their key's column, flow lists padded",
      "name: demo\ntemplate: monolith\nservices:\n- name: app # the app\n  routes:\n  - name: api\n    paths: [ /api ]\n    methods: [ GET, POST ]\n",
    ],
  ] as const) {
    it(`${style}: the untouched lines stay byte for byte, the new route follows the same style`, () => {
      const result = mergeRoutes(text, "stack.yaml", [ROUTE], { service: "app", prune: false });
      expect(result.created).toEqual(["app-read-item"]);
      expect(result.text.startsWith(text)).toBe(true);
      const added = result.text.slice(text.length);
      const indent = text.includes("\n      - name: api") ? "      " : "  ";
      expect(added.startsWith(`${indent}- name: app-read-item\n`)).toBe(true);
      expect(added).toContain(text.includes("[ /api ]") ? "methods: [ GET ]" : "methods: [GET]");
    });
  }
});
