import { describe, expect, it } from "vitest";
import { type DesiredService, planService, summarize } from "../../src/runtime/plan.js";
import { container } from "./fixtures.js";

const desired = (over: Partial<DesiredService> = {}): DesiredService => ({
  name: "app",
  replicas: 1,
  configHash: "h",
  mountsHash: "",
  imageId: "sha256:img",
  ...over,
});

const kinds = (actions: ReturnType<typeof planService>) =>
  actions.map((a) => `${a.kind}${"number" in a ? `:${a.number}` : ""}`);

describe("planService", () => {
  it("creates every replica of a new service", () => {
    expect(kinds(planService(desired({ replicas: 3 }), []))).toEqual(["create:1", "create:2", "create:3"]);
  });

  it("keeps an unchanged running container (idempotent up)", () => {
    const actions = planService(desired(), [container({ service: "app", number: 1 })]);
    expect(kinds(actions)).toEqual(["keep:1"]);
    expect(summarize(actions)).toEqual({ create: 0, recreate: 0, start: 0, keep: 1, remove: 0 });
  });

  it("recreates on a changed config hash, mounted files or image, with the reason", () => {
    const c = container({ service: "app", number: 1 });
    const byHash = planService(desired({ configHash: "other" }), [c]);
    expect(byHash[0]).toMatchObject({ kind: "recreate", reason: "configuration changed" });
    expect(planService(desired({ mountsHash: "m2" }), [c])[0]).toMatchObject({
      kind: "recreate",
      reason: "mounted config files changed",
    });
    expect(planService(desired({ imageId: "sha256:new" }), [c])[0]).toMatchObject({
      kind: "recreate",
      reason: "image changed",
    });
    expect(planService(desired(), [c], { forceRecreate: true })[0]).toMatchObject({
      kind: "recreate",
      reason: "forced",
    });
  });

  it("starts a stopped container that still matches", () => {
    expect(
      kinds(planService(desired(), [container({ service: "app", number: 1, state: "exited" })])),
    ).toEqual(["start:1"]);
  });

  it("runs a completed one-shot job again on the next up (as Compose does), recreates it once changed", () => {
    const job = container({ service: "app", number: 1, state: "exited", status: "Exited (0) 1 minute ago" });
    expect(kinds(planService(desired(), [job]))).toEqual(["start:1"]);
    expect(planService(desired({ configHash: "new-command" }), [job])[0]).toMatchObject({
      kind: "recreate",
      reason: "configuration changed",
    });
    // Still running from an earlier up: left to finish, not started twice.
    expect(kinds(planService(desired(), [{ ...job, state: "running" }]))).toEqual(["keep:1"]);
  });

  it("scales up by the difference only", () => {
    const actual = [container({ service: "app", number: 1 }), container({ service: "app", number: 2 })];
    expect(kinds(planService(desired({ replicas: 4 }), actual))).toEqual([
      "keep:1",
      "keep:2",
      "create:3",
      "create:4",
    ]);
  });

  it("scales down by removing the highest numbers", () => {
    const actual = [1, 2, 3].map((n) => container({ service: "app", number: n }));
    const actions = planService(desired({ replicas: 1 }), actual);
    expect(kinds(actions)).toEqual(["keep:1", "remove", "remove"]);
    expect(
      actions.filter((a) => a.kind === "remove").map((a) => ("container" in a ? a.container.number : 0)),
    ).toEqual([2, 3]);
  });

  it("fills a gap in the numbering and ignores other services", () => {
    const actual = [container({ service: "app", number: 2 }), container({ service: "other", number: 1 })];
    expect(kinds(planService(desired({ replicas: 2 }), actual))).toEqual(["create:1", "keep:2"]);
  });

  it("removes duplicate numbers", () => {
    const actual = [
      container({ service: "app", number: 1 }),
      container({ service: "app", number: 1, id: "dup" }),
    ];
    const actions = planService(desired(), actual);
    expect(kinds(actions)).toEqual(["remove", "keep:1"]);
  });
});
