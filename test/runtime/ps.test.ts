import { describe, expect, it } from "vitest";
import { filterPsRows, type PsRow } from "../../src/runtime/ps.js";

const row = (service: string, state: string): PsRow => ({
  service,
  container: `demo-${service}-1`,
  id: `${service}-id`,
  state,
  health: "",
  status: "",
  ports: [],
});

const ROWS = [row("app", "running"), row("job", "exited"), row("cache", "paused"), row("web", "running")];
const names = (rows: PsRow[]) => rows.map((r) => r.service);

describe("filterPsRows (stack ps -a / --status / SERVICE…, as docker compose ps)", () => {
  it("lists only running containers by default, every one with -a", () => {
    expect(names(filterPsRows(ROWS, {}))).toEqual(["app", "web"]);
    expect(names(filterPsRows(ROWS, { all: true }))).toEqual(["app", "job", "cache", "web"]);
  });

  it("--status selects states, stopped ones included without -a", () => {
    expect(names(filterPsRows(ROWS, { status: ["exited"] }))).toEqual(["job"]);
    expect(names(filterPsRows(ROWS, { status: ["paused", "running"] }))).toEqual(["app", "cache", "web"]);
  });

  it("SERVICE names narrow the list", () => {
    expect(names(filterPsRows(ROWS, { services: ["web", "job"] }))).toEqual(["web"]);
    expect(names(filterPsRows(ROWS, { services: ["web", "job"], all: true }))).toEqual(["job", "web"]);
  });
});
