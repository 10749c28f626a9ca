/**
 * A real DNS server for tests: Debian's dnsmasq on 127.0.0.1 with a free random port, serving only
 * the records given (no /etc/hosts, no upstream servers), in the foreground, stopped by the test.
 * `serve(records)` restarts it on the same port with other records (a Consul catalog changing).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { once } from "node:events";
import { freePort } from "./processes.js";

export interface DnsRecords {
  /** SRV records: the name queried, the target name, port, priority, weight */
  srv?: Array<{ name: string; target: string; port: number; priority?: number; weight?: number }>;
  /** A/AAAA records: name → addresses */
  hosts?: Record<string, string[]>;
  /** the TTL of every answer, seconds (dnsmasq's --local-ttl) */
  ttl?: number;
}

export interface TestDnsmasq {
  /** `127.0.0.1:<port>`, for dns_resolver */
  server: string;
  port: number;
  /** restart with these records on the same port */
  serve(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
}

function argsFor(port: number, records: DnsRecords): string[] {
  const args = [
    "--no-daemon",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--pid-file=",
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    `--port=${port}`,
    `--local-ttl=${records.ttl ?? 0}`,
  ];
  if (process.getuid?.() === 0) args.push("--user=root");
  for (const s of records.srv ?? []) {
    args.push(`--srv-host=${s.name},${s.target},${s.port},${s.priority ?? 0},${s.weight ?? 0}`);
  }
  for (const [name, addresses] of Object.entries(records.hosts ?? {})) {
    for (const address of addresses) args.push(`--host-record=${name},${address}`);
  }
  return args;
}

/** Wait until the server answers (any DNS answer, even REFUSED, proves it listens). */
async function waitForAnswer(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const dns = new Resolver({ timeout: 200, tries: 1 });
  dns.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited with code ${child.exitCode}: ${output()}`);
    try {
      await dns.resolve4("ready.test");
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "ETIMEOUT" && code !== "ECONNREFUSED") return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`dnsmasq did not answer on port ${port}: ${output()}`);
}

export async function startTestDnsmasq(initial: DnsRecords): Promise<TestDnsmasq> {
  let child: ChildProcess | null = null;
  let port = 0;

  const launch = async (records: DnsRecords): Promise<void> => {
    let out = "";
    const proc = spawn("dnsmasq", argsFor(port, records), { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    proc.stderr?.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child = proc;
    await waitForAnswer(port, proc, () => out);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  };

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      await launch(initial);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      await stop();
    }
  }
  if (lastError) throw lastError;

  return {
    server: `127.0.0.1:${port}`,
    port,
    serve: async (records) => {
      await stop();
      await launch(records);
    },
    stop,
  };
}
