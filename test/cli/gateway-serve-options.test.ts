/** `stack gateway serve` settings: flags, then GATEWAY_* variables, then Kong's KONG_* names. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ServeFlags, serveOptions } from "../../src/cli/gateway-serve-options.js";
import { isLoopback, parseListen } from "../../src/gateway/listen.js";

const dir = mkdtempSync(join(tmpdir(), "serve-options-"));
const file = join(dir, "kong.yml");
writeFileSync(file, "_format_version: '3.0'\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("listen addresses", () => {
  it("parse host:port, IPv6, Kong's flag lists, off", () => {
    expect(parseListen("127.0.0.1:8000")).toEqual({ host: "127.0.0.1", port: 8000 });
    expect(parseListen("[::1]:8001")).toEqual({ host: "::1", port: 8001 });
    expect(parseListen(":9000")).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(parseListen("0.0.0.0:8443 http2 ssl, 0.0.0.0:8000 reuseport backlog=16384")).toEqual({
      host: "0.0.0.0",
      port: 8000,
    });
    expect(parseListen("off")).toBeNull();
    expect(() => parseListen("0.0.0.0:99999")).toThrow(/invalid port/);
    expect(() => parseListen("0.0.0.0:8443 ssl")).toThrow(/only TLS listeners/);
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback("0.0.0.0")).toBe(false);
  });
});

describe("serveOptions", () => {
  it("flags win over GATEWAY_*, which win over KONG_*", () => {
    const env = {
      GATEWAY_PROXY_LISTEN: "127.0.0.1:1111",
      KONG_PROXY_LISTEN: "127.0.0.1:2222",
      KONG_ADMIN_LISTEN: "127.0.0.1:3333",
      KONG_STATUS_LISTEN: "off",
      KONG_TRUSTED_IPS: "10.0.0.0/8, 192.168.0.1",
      KONG_DECLARATIVE_CONFIG: file,
      GATEWAY_ADMIN_TOKEN: "tok",
      GATEWAY_PLUGIN_DIRS: "/a,/b",
    };
    const o = serveOptions({ "proxy-listen": "127.0.0.1:9999" }, env);
    expect(o.proxyListen).toEqual({ host: "127.0.0.1", port: 9999 });
    expect(o.adminListen).toEqual({ host: "127.0.0.1", port: 3333 });
    expect(o.statusListen).toBeNull();
    expect(o.trustedIps).toEqual(["10.0.0.0/8", "192.168.0.1"]);
    expect(o.config).toBe(file);
    expect(o.adminToken).toBe("tok");
    expect(o.pluginDirs).toEqual(["/a", "/b"]);
    expect(serveOptions({}, env).proxyListen).toEqual({ host: "127.0.0.1", port: 1111 });
  });

  it("the gateway manager: 127.0.0.1:8002 unless --gui-listen, GATEWAY_GUI_LISTEN or KONG_ADMIN_GUI_LISTEN say otherwise", () => {
    expect(serveOptions({}, {}).guiListen).toEqual({ host: "127.0.0.1", port: 8002 });
    expect(serveOptions({}, { KONG_ADMIN_GUI_LISTEN: "0.0.0.0:9002" }).guiListen).toEqual({
      host: "0.0.0.0",
      port: 9002,
    });
    const env = { GATEWAY_GUI_LISTEN: "127.0.0.1:7002", KONG_ADMIN_GUI_LISTEN: "0.0.0.0:9002" };
    expect(serveOptions({}, env).guiListen).toEqual({ host: "127.0.0.1", port: 7002 });
    expect(serveOptions({ "gui-listen": "off" }, env).guiListen).toBeNull();
    expect(() => serveOptions({ "gui-listen": "127.0.0.1:x" }, {})).toThrow(/invalid port/);
  });

  it("defaults leave listeners to startGateway; bad values name their source", () => {
    const o = serveOptions({}, {});
    expect(o.heapCompaction).toBe(true); // the serve process gives replaced configurations' memory back
    expect(o.proxyListen).toBeUndefined();
    expect(o.adminListen).toBeUndefined();
    expect(() => serveOptions({}, { KONG_ADMIN_LISTEN: "0.0.0.0:notaport" })).toThrow(/invalid port/);
    try {
      serveOptions({ config: join(dir, "missing.yml") }, {});
      expect.unreachable();
    } catch (err) {
      expect((err as { place?: string }).place).toBe(join(dir, "missing.yml"));
    }
  });

  it("GATEWAY_DNS_REFRESH_MS sets how often target names are re-resolved", () => {
    expect(serveOptions({}, {}).dnsRefreshMs).toBeUndefined();
    expect(serveOptions({}, { GATEWAY_DNS_REFRESH_MS: "1500" }).dnsRefreshMs).toBe(1500);
    for (const bad of ["2s", "0", "-5", "1.5"]) {
      try {
        serveOptions({}, { GATEWAY_DNS_REFRESH_MS: bad });
        expect.unreachable();
      } catch (err) {
        expect((err as { place?: string }).place).toBe("GATEWAY_DNS_REFRESH_MS");
      }
    }
  });

  it("tracing_instrumentations and tracing_sampling_rate: flags, GATEWAY_*, then Kong's names; Kong's messages", () => {
    expect(serveOptions({}, {}).tracing).toBeUndefined();
    expect(
      serveOptions(
        {},
        { KONG_TRACING_INSTRUMENTATIONS: "balancer, plugin_access", KONG_TRACING_SAMPLING_RATE: "0.25" },
      ).tracing,
    ).toEqual({ instrumentations: ["balancer", "plugin_access"], samplingRate: 0.25 });
    expect(
      serveOptions(
        { "tracing-instrumentations": "request" },
        { GATEWAY_TRACING_INSTRUMENTATIONS: "off", KONG_TRACING_INSTRUMENTATIONS: "all" },
      ).tracing,
    ).toEqual({ instrumentations: ["request"] });
    expect(serveOptions({}, { GATEWAY_TRACING_SAMPLING_RATE: "1" }).tracing).toEqual({ samplingRate: 1 });
    const bad: Array<[ServeFlags, Record<string, string>, string, RegExp]> = [
      [
        {},
        { KONG_TRACING_INSTRUMENTATIONS: "all,spans" },
        "KONG_TRACING_INSTRUMENTATIONS",
        /^invalid tracing type: spans$/,
      ],
      [
        { "tracing-instrumentations": "off,balancer" },
        {},
        "--tracing-instrumentations",
        /^invalid tracing types: off, other types are mutually exclusive$/,
      ],
      [
        {},
        { KONG_TRACING_SAMPLING_RATE: "1.5" },
        "KONG_TRACING_SAMPLING_RATE",
        /^tracing_sampling_rate must be between 0 and 1$/,
      ],
      [{ "tracing-sampling-rate": "most" }, {}, "--tracing-sampling-rate", /between 0 and 1/],
    ];
    for (const [flags, env, place, message] of bad) {
      try {
        serveOptions(flags, env);
        expect.unreachable();
      } catch (err) {
        expect((err as { place?: string }).place).toBe(place);
        expect((err as Error).message).toMatch(message);
      }
    }
  });

  it("dns_resolver and dns_order: flags, GATEWAY_*, then Kong's names; a bad value names its place", () => {
    expect(serveOptions({}, {}).dns).toBeUndefined();
    expect(
      serveOptions({}, { KONG_DNS_RESOLVER: "127.0.0.1:8600, 10.0.0.2", KONG_DNS_ORDER: "last,srv,a" }).dns,
    ).toEqual({ servers: ["127.0.0.1:8600", "10.0.0.2"], order: ["LAST", "SRV", "A"] });
    expect(
      serveOptions(
        { "dns-resolver": "[::1]:53" },
        { GATEWAY_DNS_RESOLVER: "10.0.0.9", KONG_DNS_RESOLVER: "10.0.0.8" },
      ).dns,
    ).toEqual({ servers: ["[::1]:53"] });
    expect(serveOptions({}, { GATEWAY_DNS_ORDER: "SRV,A" }).dns).toEqual({ order: ["SRV", "A"] });
    const bad: Array<[Record<string, string>, string, RegExp]> = [
      [{ KONG_DNS_RESOLVER: "consul:8600" }, "KONG_DNS_RESOLVER", /"consul:8600" is not a name server/],
      [{ KONG_DNS_RESOLVER: "127.0.0.1:99999" }, "KONG_DNS_RESOLVER", /not a name server/],
      [{ GATEWAY_DNS_ORDER: "SRV,MX" }, "GATEWAY_DNS_ORDER", /"MX" is not a record type/],
    ];
    for (const [env, place, message] of bad) {
      try {
        serveOptions({}, env);
        expect.unreachable();
      } catch (err) {
        expect((err as { place?: string }).place).toBe(place);
        expect((err as Error).message).toMatch(message);
      }
    }
  });

  it("real_ip_header and real_ip_recursive: flags, GATEWAY_*, then Kong's names", () => {
    expect(serveOptions({}, {}).realIpHeader).toBeUndefined();
    const kong = serveOptions({}, { KONG_REAL_IP_HEADER: "X-Forwarded-For", KONG_REAL_IP_RECURSIVE: "on" });
    expect(kong.realIpHeader).toBe("X-Forwarded-For");
    expect(kong.realIpRecursive).toBe(true);
    const ours = serveOptions(
      { "real-ip-recursive": "off" },
      {
        GATEWAY_REAL_IP_HEADER: "CF-Connecting-IP",
        KONG_REAL_IP_HEADER: "X-Forwarded-For",
        KONG_REAL_IP_RECURSIVE: "on",
      },
    );
    expect(ours.realIpHeader).toBe("CF-Connecting-IP");
    expect(ours.realIpRecursive).toBe(false);
    try {
      serveOptions({}, { KONG_REAL_IP_RECURSIVE: "maybe" });
      expect.unreachable();
    } catch (err) {
      expect((err as { place?: string }).place).toBe("KONG_REAL_IP_RECURSIVE");
    }
  });

  it("client_body_timeout in nginx's time syntax and the minimum body rate", () => {
    expect(serveOptions({}, { KONG_NGINX_PROXY_CLIENT_BODY_TIMEOUT: "30s" }).clientBodyTimeoutMs).toBe(
      30_000,
    );
    expect(serveOptions({}, { KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT: "2m" }).clientBodyTimeoutMs).toBe(120_000);
    expect(serveOptions({ "client-body-timeout": "500ms" }, {}).clientBodyTimeoutMs).toBe(500);
    expect(serveOptions({}, { GATEWAY_CLIENT_BODY_TIMEOUT: "0" }).clientBodyTimeoutMs).toBe(0);
    expect(serveOptions({}, { GATEWAY_CLIENT_BODY_TIMEOUT: "45" }).clientBodyTimeoutMs).toBe(45_000);
    expect(serveOptions({}, { GATEWAY_CLIENT_BODY_MIN_RATE: "1k" }).clientBodyMinRate).toBe(1024);
    expect(serveOptions({ "client-body-min-rate": "0" }, {}).clientBodyMinRate).toBe(0);
    for (const [env, bad] of [
      ["GATEWAY_CLIENT_BODY_TIMEOUT", "soon"],
      ["GATEWAY_CLIENT_BODY_MIN_RATE", "-1"],
    ] as const) {
      try {
        serveOptions({}, { [env]: bad });
        expect.unreachable();
      } catch (err) {
        expect((err as { place?: string }).place).toBe(env);
      }
    }
  });

  it("NAME_FILE gives NAME a file's content (Docker secrets), for settings and vault references", () => {
    const secret = join(dir, "admin-token");
    writeFileSync(secret, "from-a-secret\n");
    const key = join(dir, "demo-key");
    writeFileSync(key, "demo-123");
    const given = { GATEWAY_ADMIN_TOKEN_FILE: secret, DEMO_API_KEY_FILE: key };
    const o = serveOptions({}, given);
    expect(o.adminToken).toBe("from-a-secret");
    expect(o.env?.DEMO_API_KEY).toBe("demo-123");
    expect(given).toEqual({ GATEWAY_ADMIN_TOKEN_FILE: secret, DEMO_API_KEY_FILE: key }); // not mutated
    // an unrelated *_FILE variable of the environment is never opened
    expect(serveOptions({}, { TF_CLI_CONFIG_FILE: join(dir, "missing.rc") }).adminToken).toBeUndefined();
    for (const [env, message] of [
      [{ GATEWAY_ADMIN_TOKEN: "x", GATEWAY_ADMIN_TOKEN_FILE: secret }, /both GATEWAY_ADMIN_TOKEN and/],
      [{ GATEWAY_ADMIN_TOKEN_FILE: join(dir, "missing") }, /cannot read .*ENOENT/],
    ] as const) {
      try {
        serveOptions({}, env);
        expect.unreachable();
      } catch (err) {
        expect((err as Error).message).toMatch(message);
        expect((err as { place?: string }).place).toBe("GATEWAY_ADMIN_TOKEN_FILE");
      }
    }
  });
});

describe("serveOptions: database mode", () => {
  it("--database / GATEWAY_DATABASE / KONG_DATABASE; off is DB-less; Kong's KONG_PG_* settings", () => {
    expect(serveOptions({}, {}).database).toBeUndefined();
    expect(serveOptions({ database: "off" }, { KONG_DATABASE: "postgres" }).database).toBeUndefined();
    const secret = join(dir, "pg-password");
    writeFileSync(secret, "from-a-file\n");
    const opts = serveOptions(
      { "pg-port": "6543" },
      {
        KONG_DATABASE: "Postgres",
        KONG_PG_HOST: "db.internal",
        KONG_PG_PORT: "1111",
        GATEWAY_PG_USER: "gw",
        KONG_PG_USER: "kong-user",
        KONG_PG_DATABASE: "gatestack",
        KONG_PG_PASSWORD_FILE: secret,
        KONG_PG_SSL: "on",
        KONG_PG_TIMEOUT: "2500",
      },
    );
    expect(opts.database).toEqual({
      postgres: {
        host: "db.internal",
        port: 6543,
        user: "gw",
        password: "from-a-file",
        database: "gatestack",
        ssl: true,
        sslVerify: false,
        timeoutMs: 2500,
      },
    });
    expect(serveOptions({ database: "postgres" }, {}).database?.postgres).toMatchObject({
      host: "127.0.0.1",
      port: 5432,
      user: "kong",
      database: "kong",
      password: undefined,
    });
  });

  it("bad values name the setting", () => {
    expect(() => serveOptions({}, { KONG_DATABASE: "cassandra" })).toThrow(
      expect.objectContaining({
        place: "KONG_DATABASE",
        message: 'expected "off" or "postgres", got "cassandra"',
      }),
    );
    expect(() => serveOptions({ database: "postgres" }, { KONG_PG_PORT: "5432x" })).toThrow(
      expect.objectContaining({ place: "KONG_PG_PORT" }),
    );
    expect(() => serveOptions({ database: "postgres" }, { KONG_PG_SSL: "maybe" })).toThrow(
      expect.objectContaining({ place: "KONG_PG_SSL" }),
    );
  });

  it("the database is the configuration: --config is refused, a declarative file from the environment ignored", () => {
    expect(() => serveOptions({ database: "postgres", config: file }, {})).toThrow(
      /--config is for DB-less mode/,
    );
    const opts = serveOptions({ database: "postgres" }, { KONG_DECLARATIVE_CONFIG: file });
    expect(opts.config).toBeUndefined();
    expect(opts.database).toBeDefined();
  });
});
