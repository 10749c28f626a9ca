import { describe, expect, it } from "vitest";
import { publicPaths, unmappedNote, unmappedPaths } from "../../../src/gateway/portal/paths.js";

const root = { path: null };

describe("publicPaths: an app path as the gateway's routes publish it", () => {
  it("strip_path: the route's prefix, then the app path", () => {
    expect(publicPaths("/items", root, { paths: ["/users"], strip_path: true })).toEqual(["/users/items"]);
    expect(publicPaths("/items/{id}", root, { paths: ["/users/"], strip_path: true })).toEqual([
      "/users/items/{id}",
    ]);
    expect(publicPaths("/", root, { paths: ["/users"], strip_path: true })).toEqual(["/users"]);
  });

  it("several route paths: one public path each", () => {
    expect(publicPaths("/items", root, { paths: ["/users", "/v1/users"], strip_path: true })).toEqual([
      "/users/items",
      "/v1/users/items",
    ]);
  });

  it("without strip_path the path is kept, and only where the route's prefix matches it", () => {
    expect(publicPaths("/users/items", root, { paths: ["/users"], strip_path: false })).toEqual([
      "/users/items",
    ]);
    expect(publicPaths("/health", root, { paths: ["/users"], strip_path: false })).toEqual([]);
  });

  it("a route without paths matches every path", () => {
    expect(publicPaths("/items", root, { paths: null, strip_path: true })).toEqual(["/items"]);
    expect(publicPaths("/items", root, { paths: [], strip_path: false })).toEqual(["/items"]);
  });

  it("a service path: app paths under it lose it behind the route's prefix; others are unreachable", () => {
    const service = { path: "/api/" };
    expect(publicPaths("/api/items", service, { paths: ["/shop"], strip_path: true })).toEqual([
      "/shop/items",
    ]);
    expect(publicPaths("/api", service, { paths: ["/shop"], strip_path: true })).toEqual(["/shop"]);
    expect(publicPaths("/other", service, { paths: ["/shop"], strip_path: true })).toEqual([]);
    expect(publicPaths("/apixyz", service, { paths: ["/shop"], strip_path: true })).toEqual([]);
  });

  it("regex paths: kept when the regex matches without strip_path, left out with it", () => {
    const regex = ["~/items/(?<id>[^/]+)$"];
    expect(publicPaths("/items/{id}", root, { paths: regex, strip_path: false })).toEqual(["/items/{id}"]);
    expect(publicPaths("/orders/{id}", root, { paths: regex, strip_path: false })).toEqual([]);
    expect(publicPaths("/items/{id}", root, { paths: regex, strip_path: true })).toEqual([]);
  });

  it("unmappedPaths / unmappedNote: the regex paths of a strip_path route, named with a short note", () => {
    const mixed = { paths: ["/plain", "~/a/[0-9]+", "~/b/.*"], strip_path: true };
    expect(unmappedPaths(mixed)).toEqual(["~/a/[0-9]+", "~/b/.*"]);
    expect(unmappedNote(mixed)).toMatch(/^Its regex paths are not in the OpenAPI document: with strip_path /);
    expect(unmappedNote({ paths: ["~/a"], strip_path: true })).toMatch(/^Its regex path is not /);
    expect(unmappedPaths({ paths: ["~/a"], strip_path: false })).toEqual([]);
    expect(unmappedNote({ paths: ["/plain"], strip_path: true })).toBeNull();
    expect(unmappedNote({ paths: null, strip_path: true })).toBeNull();
  });
});
