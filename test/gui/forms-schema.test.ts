/** The manager's generated forms: JSON Schema → controls, raw values → Admin API bodies, Kong's `fields` → messages. */
import { describe, expect, it } from "vitest";
import {
  changedBody,
  controlFor,
  errorAt,
  FieldError,
  initialRaw,
  unplacedErrors,
} from "../../gui/src/forms/schema.js";
import type { JsonSchema } from "../../gui/src/types.js";

const ROUTE: JsonSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    protocols: {
      type: "array",
      items: { type: "string", enum: ["http", "https"] },
      default: ["http", "https"],
    },
    paths: { type: "array", items: { type: "string" } },
    regex_priority: { type: "integer", default: 0 },
    strip_path: { type: "boolean", default: true },
    headers: { type: "object", additionalProperties: { type: "array" } },
    service: { type: "object", properties: { id: { type: "string" } } },
  },
};

describe("controlFor", () => {
  it("picks a control per JSON Schema type, through zod's nullable anyOf", () => {
    expect(controlFor({ anyOf: [{ type: "integer" }, { type: "null" }] })).toEqual({
      kind: "text",
      number: true,
      integer: true,
    });
    expect(controlFor({ type: "string", enum: ["a", "b"] })).toEqual({ kind: "select", options: ["a", "b"] });
    expect(controlFor({ anyOf: [{ const: "x" }, { const: "y" }] })).toEqual({
      kind: "select",
      options: ["x", "y"],
    });
    expect(controlFor(ROUTE.properties!.protocols!)).toEqual({
      kind: "checkboxes",
      options: ["http", "https"],
    });
    expect(controlFor(ROUTE.properties!.paths!)).toEqual({ kind: "lines", number: false });
    expect(controlFor(ROUTE.properties!.headers!)).toEqual({ kind: "json" });
    expect(controlFor(ROUTE.properties!.service!).kind).toBe("object");
  });
});

describe("changedBody", () => {
  it("creating: sends only what was filled in or changed; checkbox groups start at their default", () => {
    const initial = initialRaw(ROUTE, {});
    expect(initial.protocols).toEqual(["http", "https"]);
    expect(initial.strip_path).toBe(true);
    const raw = { ...initial, name: "r", paths: "/a\n\n /b \n", regex_priority: "3" };
    expect(changedBody(ROUTE, raw, initial, false)).toEqual({
      name: "r",
      paths: ["/a", "/b"],
      regex_priority: 3,
    });
    expect(changedBody(ROUTE, initial, initial, false)).toEqual({});
  });

  it("editing: a cleared field is null, nested records only with their changed fields", () => {
    const entity = { id: "1", name: "r", paths: ["/a"], service: { id: "s1" }, strip_path: true };
    const initial = initialRaw(ROUTE, entity);
    const raw = { ...initial, name: "", "service.id": "s2", strip_path: false };
    expect(changedBody(ROUTE, raw, initial, true)).toEqual({
      name: null,
      service: { id: "s2" },
      strip_path: false,
    });
  });

  it("bad JSON names its field", () => {
    const initial = initialRaw(ROUTE, {});
    expect(() => changedBody(ROUTE, { ...initial, headers: "{nope" }, initial, false)).toThrow(FieldError);
  });
});

describe("Kong's fields errors", () => {
  const fields = {
    "@entity": ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
    paths: [null, "should start with: / (fixed path) or ~/ (regex path)"],
    service: { id: "expected a valid UUID" },
    unknown_field: "unknown field",
  };

  it("are found at their field, list items numbered as Kong numbers them", () => {
    expect(errorAt(fields, ["paths"])).toBe("item 2: should start with: / (fixed path) or ~/ (regex path)");
    expect(errorAt(fields, ["service", "id"])).toBe("expected a valid UUID");
    expect(errorAt(fields, ["name"])).toBeUndefined();
  });

  it("that no field shows go in the summary", () => {
    expect(unplacedErrors(fields, ROUTE)).toEqual([
      "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
      "unknown_field: unknown field",
    ]);
  });
});
