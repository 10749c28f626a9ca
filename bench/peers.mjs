/**
 * The non-Node peers of the proxy benchmarks, from Debian's packages: nginx (one process, no
 * master: its CPU time is the worker's) as the upstream or as a reverse proxy, and Caddy
 * (`GOMAXPROCS=1`) as a reverse proxy. Each listens on 127.0.0.1, is pinned like the Node
 * children (support.mjs), and resolves once it answers HTTP.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinned } from "./support.mjs";

/** Whether `cmd` runs here. */
export const installed = (cmd, versionArg = "-v") => !spawnSync(cmd, [versionArg]).error;
export const HAVE_NGINX = installed("nginx");
export const HAVE_CADDY = installed("caddy", "version");

/** The same answer as support.mjs's node upstream: 220 bytes of JSON. */
const BODY = JSON.stringify({ ok: true, pad: "x".repeat(200) });

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function answering(url, child, name) {
  let exited = null;
  child.once("exit", (code) => {
    exited = code;
  });
  for (let i = 0; i < 200; i++) {
    if (exited !== null) throw new Error(`${name} exited early (${exited})`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${name} did not answer on ${url}`);
}

/** nginx in the foreground, one process, every connection kept alive (no 1,000-request cap). */
function nginxConf(dir, port, location) {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 65s;
  %UPSTREAM%
  server {
    listen 127.0.0.1:${port};
    location / { ${location} }
  }
}
`;
}

async function startNginx(name, cpu, location, upstreamBlock = "") {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, nginxConf(dir, port, location).replace("%UPSTREAM%", upstreamBlock));
  const [cmd, args] = pinned(cpu, "nginx", ["-p", dir, "-c", conf]);
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  await answering(`${url}/`, child, name);
  return { name, child, info: { url, port } };
}

/** nginx answering every request itself with the benchmark body (the upstream, on `cpu`). */
export function startNginxUpstream(cpu) {
  return startNginx("upstream", cpu, `default_type application/json; return 200 '${BODY}';`);
}

/** nginx as a reverse proxy to 127.0.0.1:`upstreamPort`, keep-alive to the upstream. */
export function startNginxProxy(name, upstreamPort, cpu) {
  return startNginx(
    name,
    cpu,
    `proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";`,
    `upstream up { server 127.0.0.1:${upstreamPort}; keepalive 256; keepalive_requests 100000000; }`,
  );
}

/** Caddy's reverse_proxy (its defaults: keep-alive, X-Forwarded-*) on one Go thread. */
export async function startCaddyProxy(name, upstreamPort, cpu) {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const port = await freePort();
  const config = {
    admin: { disabled: true },
    logging: { logs: { default: { level: "ERROR" } } },
    apps: {
      http: {
        servers: {
          bench: {
            listen: [`127.0.0.1:${port}`],
            automatic_https: { disable: true },
            routes: [
              { handle: [{ handler: "reverse_proxy", upstreams: [{ dial: `127.0.0.1:${upstreamPort}` }] }] },
            ],
          },
        },
      },
    },
  };
  const file = join(dir, "caddy.json");
  writeFileSync(file, JSON.stringify(config));
  const [cmd, args] = pinned(cpu, "caddy", ["run", "--config", file]);
  const child = spawn(cmd, args, {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, GOMAXPROCS: "1", HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  const url = `http://127.0.0.1:${port}`;
  await answering(`${url}/`, child, name);
  return { name, child, info: { url, port } };
}
