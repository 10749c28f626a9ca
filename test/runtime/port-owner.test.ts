import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressesOverlap,
  listListeners,
  parseProcNetTcp,
  socketOwner,
} from "../../src/runtime/port-owner.js";

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0000000000000000 100 0 0 10 0
`;

describe("parseProcNetTcp", () => {
  it("reads LISTEN sockets with addresses and ports", () => {
    expect(parseProcNetTcp(TCP, false)).toEqual([
      { address: "0.0.0.0", port: 80, inode: "111" },
      { address: "127.0.0.1", port: 8080, inode: "222" },
    ]);
    expect(parseProcNetTcp(TCP6, true)).toEqual([
      { address: "::", port: 443, inode: "444" },
      { address: "::1", port: 80, inode: "555" },
      { address: "127.0.0.1", port: 8081, inode: "666" },
    ]);
  });

  it("treats wildcards as overlapping everything", () => {
    expect(addressesOverlap("0.0.0.0", "127.0.0.1")).toBe(true);
    expect(addressesOverlap("127.0.0.1", "::")).toBe(true);
    expect(addressesOverlap("127.0.0.1", "10.0.0.1")).toBe(false);
  });
});

describe("listListeners + socketOwner (real /proc)", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("finds this test process holding its listening port", async () => {
    const l = (await listListeners()).find((x) => x.port === port);
    expect(l?.address).toBe("127.0.0.1");
    const owner = await socketOwner(l!.inode);
    expect(owner.pid).toBe(process.pid);
    expect(owner.command).toMatch(/node/);
  });
});
