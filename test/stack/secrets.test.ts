import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicauthHash, randomSecret, verifyBasicauthHash } from "../../src/stack/secrets.js";
import { freePort, type ManagedProcess, startProcess } from "../support/processes.js";

describe("randomSecret", () => {
  it("is url-safe, long and different every time", () => {
    const a = randomSecret();
    const b = randomSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(randomSecret(18)).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});

describe("basicauthHash", () => {
  it("is base64 of a bcrypt hash of the password", () => {
    const hash = basicauthHash("s3cret");
    expect(hash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(hash, "base64").toString("utf8")).toMatch(/^\$2[aby]\$10\$.{53}$/);
    expect(verifyBasicauthHash("s3cret", hash)).toBe(true);
    expect(verifyBasicauthHash("wrong", hash)).toBe(false);
  });
});

/** The hash format is checked against the real caddy (Debian 2.6) that the Caddyfile targets. */
describe("Debian's caddy accepts TOOLS_BASICAUTH_HASH in basicauth", () => {
  let dir: string;
  let caddy: ManagedProcess | undefined;
  let url: string;
  const password = randomSecret(18);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gs-caddy-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/tools/`;
    await writeFile(
      join(dir, "Caddyfile"),
      `{\n  admin off\n  auto_https off\n}\n:${port} {\n  basicauth /tools/* {\n    {$TOOLS_BASICAUTH_USER} {$TOOLS_BASICAUTH_HASH}\n  }\n  respond "tools"\n}\n`,
    );
    const env = { TOOLS_BASICAUTH_USER: "admin", TOOLS_BASICAUTH_HASH: basicauthHash(password) };
    await execa("caddy", ["validate", "--adapter", "caddyfile", "--config", join(dir, "Caddyfile")], { env });
    caddy = await startProcess(
      "caddy",
      ["run", "--adapter", "caddyfile", "--config", join(dir, "Caddyfile")],
      {
        env: { ...env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
        readyUrl: url,
      },
    );
  });

  afterAll(async () => {
    await caddy?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (user: string, pass: string) =>
    fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` } });

  it("lets the right password in and keeps others out", async () => {
    expect((await get("admin", password)).status).toBe(200);
    expect((await get("admin", "wrong")).status).toBe(401);
    expect((await fetch(url)).status).toBe(401);
  });
});
