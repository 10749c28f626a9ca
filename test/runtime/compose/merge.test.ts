import { describe, expect, it } from "vitest";
import { mergeComposeTrees, resolveMarkers } from "../../../src/runtime/compose/merge.js";
import { normalizeFile } from "../../../src/runtime/compose/normalize.js";
import { parseComposeYaml } from "../../../src/runtime/compose/read-yaml.js";

/** Parses, normalizes and merges YAML texts like loadComposeProject does. */
function merge(...texts: string[]): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const [i, t] of texts.entries())
    out = mergeComposeTrees(out, normalizeFile(parseComposeYaml(t, `f${i}`), `f${i}`));
  return resolveMarkers(out);
}
const svc = (tree: Record<string, unknown>, name = "foo") =>
  (tree.services as Record<string, Record<string, unknown>>)[name];

describe("Compose merge rules", () => {
  it("merges mappings key by key", () => {
    const t = merge(
      "services: {foo: {image: a, environment: {A: '1', B: '2'}}}",
      "services: {foo: {image: b, environment: [B=3, C=4]}}",
    );
    expect(svc(t)?.image).toBe("b");
    expect(svc(t)?.environment).toEqual({ A: "1", B: "3", C: "4" });
  });

  it("appends generic sequences", () => {
    const t = merge("services: {foo: {image: a, extra: [1]}}", "services: {foo: {extra: [2]}}");
    expect(svc(t)?.extra).toEqual([1, 2]);
  });

  it("replaces command, entrypoint and healthcheck.test", () => {
    const t = merge(
      "services: {foo: {image: a, command: [echo, foo], entrypoint: sh, healthcheck: {test: [CMD, a], interval: 5s}}}",
      "services: {foo: {command: [echo, bar], healthcheck: {test: 'curl x'}}}",
    );
    expect(svc(t)?.command).toEqual(["echo", "bar"]);
    expect(svc(t)?.healthcheck).toEqual({ test: ["CMD-SHELL", "curl x"], interval: "5s" });
  });

  it("treats volumes as unique by target (the override replaces in place)", () => {
    const t = merge(
      "services: {foo: {image: a, volumes: ['foo:/work', './x:/x:ro']}}\nvolumes: {foo: {}, bar: {}}",
      "services: {foo: {volumes: ['bar:/work', '/y:/y']}}",
    );
    expect(svc(t)?.volumes).toEqual([
      { type: "volume", source: "bar", target: "/work" },
      { type: "bind", source: "./x", target: "/x", read_only: true, bind: { create_host_path: true } },
      { type: "bind", source: "/y", target: "/y", bind: { create_host_path: true } },
    ]);
  });

  it("treats ports as unique by ip/published/target/protocol and appends the others", () => {
    const t = merge(
      "services: {foo: {image: a, ports: ['8080:80', {target: 443, published: 8443}]}}",
      "services: {foo: {ports: [{target: 80, published: '8080', host_ip: 0.0.0.0}, '127.0.0.1:9000:90/udp']}}",
    );
    const ports = svc(t)?.ports as Array<Record<string, unknown>>;
    expect(ports.map((p) => `${p.host_ip ?? ""}:${p.published}:${p.target}/${p.protocol}`)).toEqual([
      "0.0.0.0:8080:80/tcp",
      ":8443:443/tcp",
      "127.0.0.1:9000:90/udp",
    ]);
  });

  it("keeps one copy of expose/dns/profiles values", () => {
    const t = merge(
      "services: {foo: {image: a, expose: [80, '81'], profiles: [x]}}",
      "services: {foo: {expose: ['80', 82], profiles: [x, y]}}",
    );
    expect(svc(t)?.expose).toEqual(["80", "81", "82"]);
    expect(svc(t)?.profiles).toEqual(["x", "y"]);
  });

  it("merges depends_on written as a list and as a mapping", () => {
    const t = merge(
      "services: {foo: {image: a, depends_on: [db]}}",
      "services: {foo: {depends_on: {cache: {condition: service_healthy}}}}",
    );
    expect(svc(t)?.depends_on).toEqual({
      db: { condition: "service_started", required: true },
      cache: { condition: "service_healthy", required: true },
    });
  });

  it("merges logging options only for the same driver", () => {
    const same = merge(
      "services: {foo: {image: a, logging: {driver: json-file, options: {max-size: 1m}}}}",
      "services: {foo: {logging: {options: {max-file: '3'}}}}",
    );
    expect(svc(same)?.logging).toEqual({
      driver: "json-file",
      options: { "max-size": "1m", "max-file": "3" },
    });
    const other = merge(
      "services: {foo: {image: a, logging: {driver: json-file, options: {max-size: 1m}}}}",
      "services: {foo: {logging: {driver: syslog}}}",
    );
    expect(svc(other)?.logging).toEqual({ driver: "syslog" });
  });

  it("honours !reset and !override", () => {
    const t = merge(
      "services: {app: {image: myapp, ports: ['8080:80'], environment: {FOO: BAR, KEEP: '1'}}}",
      "services:\n  app:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n",
    );
    expect(svc(t, "app")).toEqual({ image: "myapp", environment: { KEEP: "1" } });
    const o = merge(
      "services: {app: {image: myapp, ports: ['8080:80']}}",
      "services:\n  app:\n    ports: !override\n      - '8443:443'\n",
    );
    expect((svc(o, "app")!.ports as Array<Record<string, unknown>>).map((p) => p.target)).toEqual([443]);
  });

  it("replaces x- extensions and resolves anchors and merge keys", () => {
    const t = merge(
      "x-common: &c {restart: always, labels: {a: '1'}}\nservices: {foo: {<<: *c, image: a}}\nx-meta: {a: 1}",
      "x-meta: {b: 2}",
    );
    expect(svc(t)).toEqual({ restart: "always", labels: { a: "1" }, image: "a" });
    expect(t["x-meta"]).toEqual({ b: 2 });
  });
});
