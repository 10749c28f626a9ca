/**
 * A real OTLP/HTTP traces receiver on 127.0.0.1: an HTTP server that decodes each request's
 * protobuf body (ExportTraceServiceRequest) with protobufjs, over the fields of
 * opentelemetry/proto/{collector/trace/v1,trace/v1,common/v1,resource/v1} the tests read
 * (field numbers as in the OTLP .proto files).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";

const OTLP = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } },
        },
        ResourceSpans: {
          fields: {
            resource: { type: "Resource", id: 1 },
            scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
          },
        },
        Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
        ScopeSpans: {
          fields: { scope: { type: "Scope", id: 1 }, spans: { rule: "repeated", type: "Span", id: 2 } },
        },
        Scope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 } } },
        Span: {
          fields: {
            traceId: { type: "bytes", id: 1 },
            spanId: { type: "bytes", id: 2 },
            traceState: { type: "string", id: 3 },
            parentSpanId: { type: "bytes", id: 4 },
            name: { type: "string", id: 5 },
            kind: { type: "int32", id: 6 },
            startTimeUnixNano: { type: "fixed64", id: 7 },
            endTimeUnixNano: { type: "fixed64", id: 8 },
            attributes: { rule: "repeated", type: "KeyValue", id: 9 },
            status: { type: "Status", id: 15 },
          },
        },
        Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } },
        KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
        AnyValue: {
          oneofs: { value: { oneof: ["stringValue", "boolValue", "intValue", "doubleValue"] } },
          fields: {
            stringValue: { type: "string", id: 1 },
            boolValue: { type: "bool", id: 2 },
            intValue: { type: "int64", id: 3 },
            doubleValue: { type: "double", id: 4 },
          },
        },
      },
    },
  },
}).lookupType("otlp.ExportTraceServiceRequest");

/** OTLP's SpanKind numbers. */
export const KIND = { internal: 1, server: 2, client: 3 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message: string };
  resource: Record<string, string | number | boolean>;
  scope: { name: string; version: string };
}

export interface OtlpReceiver {
  url: string;
  /** every decoded export request */
  requests: Array<{ headers: IncomingHttpHeaders; spans: ReceivedSpan[] }>;
  /** every span received, in order */
  spans(): ReceivedSpan[];
  /** answer each request (default 200) */
  respond: (n: number, res: ServerResponse) => void;
  close(): Promise<void>;
}

type Decoded = {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: RawSpan[] }>;
  }>;
};
type KeyValue = { key: string; value?: Record<string, unknown> };
type RawSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
};

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    if (v.stringValue !== undefined) out[kv.key] = v.stringValue as string;
    else if (v.boolValue !== undefined) out[kv.key] = v.boolValue as boolean;
    else if (v.intValue !== undefined) out[kv.key] = Number(v.intValue);
    else if (v.doubleValue !== undefined) out[kv.key] = v.doubleValue as number;
  }
  return out;
}

export function decodeTraces(body: Buffer): ReceivedSpan[] {
  const message = OTLP.decode(body);
  const d = OTLP.toObject(message, { bytes: String, longs: String, defaults: false }) as Decoded;
  const hex = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("hex");
  const out: ReceivedSpan[] = [];
  for (const rs of d.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? "",
          name: s.name,
          kind: s.kind ?? 0,
          start: BigInt(s.startTimeUnixNano),
          end: BigInt(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          resource,
          scope: { name: ss.scope?.name ?? "", version: ss.scope?.version ?? "" },
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  let n = 0;
  const receiver: OtlpReceiver = {
    url: "",
    requests: [],
    spans: () => receiver.requests.flatMap((r) => r.spans),
    respond: (_n, res) => res.writeHead(200, { "content-type": "application/x-protobuf" }).end(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      n++;
      if (req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      receiver.respond(n, res);
      // a failing answer is not counted as received
      if (res.statusCode < 300) {
        receiver.requests.push({ headers: req.headers, spans: decodeTraces(Buffer.concat(chunks)) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
