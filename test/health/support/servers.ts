import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real local servers with injected faults for the probe tests, all on 127.0.0.1 with random ports.
 *  /ok → 200 {"status":"ok"}; /status/<code> → that status; /slow?ms=N → answers after N ms;
 *  /reset → destroys the connection; /echo → the request headers as JSON;
 *  anything else → 404.
 */
export interface FaultServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function faultHandler(extra?: Handler): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/ok") return json(res, 200, { status: "ok" });
    if (url.pathname === "/echo") return json(res, 200, { headers: req.headers });
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return json(res, Number(status[1]), { status: Number(status[1]) });
    if (url.pathname === "/slow") {
      const timer = setTimeout(
        () => json(res, 200, { slow: true }),
        Number(url.searchParams.get("ms") ?? 5000),
      );
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname === "/reset") {
      req.socket.destroy();
      return;
    }
    if (extra) return extra(req, res);
    json(res, 404, { message: "not found" });
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function listen(server: Server): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = "cert" in server ? "https" : "http";
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function startFaultServer(extra?: Handler): Promise<FaultServer> {
  return listen(createServer(faultHandler(extra)));
}

export function startTlsFaultServer(
  cert: { key: string; cert: string },
  extra?: Handler,
): Promise<FaultServer> {
  const server = createHttpsServer({ key: cert.key, cert: cert.cert }, faultHandler(extra));
  Object.assign(server, { cert: true });
  return listen(server as unknown as Server);
}

/** A port with nothing listening (bound then released): connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A TCP server that accepts and never answers (for TLS-handshake and header timeouts). */
export async function startSilentServer(): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const s = createNetServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        s.close(() => resolve());
      }),
  };
}

export interface TestCerts {
  /** A CA (stands in for Caddy's local authority) and a leaf for `localhost` it signed, valid now. */
  ca: { cert: string };
  leaf: { key: string; cert: string };
  /** Self-signed for localhost. */
  selfSigned: { key: string; cert: string };
  /** Signed by the CA for another host (wrong name for localhost). */
  wrongHost: { key: string; cert: string };
  /** Signed by the CA for localhost, expired. */
  expired: { key: string; cert: string };
  /** Signed by the CA for localhost, valid for 2 more days out of 90. */
  expiringSoon: { key: string; cert: string };
  cleanup(): void;
}

/** Generates certificates with the openssl CLI (node's crypto cannot create X.509). */
export function generateTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "gs-health-certs-"));
  const ssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const read = (f: string): string => readFileSync(join(dir, f), "utf8");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "30",
    "-subj",
    "/CN=Test Local Authority",
  );
  const leaf = (name: string, host: string, dates: { days?: number; start?: string; end?: string }): void => {
    ssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${host}`);
    const ext = join(dir, `${name}.ext`);
    execFileSync("sh", ["-c", `printf 'subjectAltName=DNS:${host}\\n' > '${ext}'`]);
    if (dates.days) {
      ssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-extfile",
        ext,
        "-days",
        String(dates.days),
      );
    } else {
      signWithDates(dir, name, ext, dates.start!, dates.end!);
    }
  };
  leaf("leaf", "localhost", { days: 20 });
  leaf("wrong", "other.example", { days: 20 });
  leaf("expired", "localhost", { start: stamp(-40), end: stamp(-10) });
  leaf("soon", "localhost", { start: stamp(-88), end: stamp(2) });
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "self.key",
    "-out",
    "self.crt",
    "-days",
    "20",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
  );
  const pair = (n: string): { key: string; cert: string } => ({
    key: read(`${n}.key`),
    cert: read(`${n}.crt`),
  });
  return {
    ca: { cert: read("ca.crt") },
    leaf: pair("leaf"),
    selfSigned: pair("self"),
    wrongHost: pair("wrong"),
    expired: pair("expired"),
    expiringSoon: pair("soon"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** openssl `ca` with explicit start/end dates (the only 3.0 command that takes both). */
function signWithDates(dir: string, name: string, ext: string, start: string, end: string): void {
  const conf = join(dir, "ca.cnf");
  execFileSync("sh", [
    "-c",
    [
      `cd '${dir}'`,
      "mkdir -p db && touch db/index.txt && [ -f db/serial ] || echo 1000 > db/serial",
      `printf '[ca]\\ndefault_ca=d\\n[d]\\ndir=.\\ndatabase=db/index.txt\\nserial=db/serial\\nnew_certs_dir=db\\ndefault_md=sha256\\npolicy=p\\nunique_subject=no\\ncopy_extensions=none\\n[p]\\ncommonName=supplied\\n' > '${conf}'`,
    ].join(" && "),
  ]);
  execFileSync(
    "openssl",
    [
      "ca",
      "-batch",
      "-config",
      conf,
      "-cert",
      "ca.crt",
      "-keyfile",
      "ca.key",
      "-in",
      `${name}.csr`,
      "-out",
      `${name}.crt`,
      "-startdate",
      start,
      "-enddate",
      end,
      "-extfile",
      ext,
      "-notext",
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
}

/** openssl `ca` date (YYYYMMDDHHMMSSZ) `days` from now. */
function stamp(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}
