// A local OTLP/HTTP traces receiver for tests: a real HTTP server on 127.0.0.1 that decodes each
// JSON export (POST /v1/traces) into flat spans.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
  service: unknown;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

function flat(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) {
    const v = kv.value;
    out[kv.key] =
      v.stringValue ??
      (v.intValue === undefined ? undefined : Number(v.intValue)) ??
      v.boolValue ??
      v.doubleValue;
  }
  return out;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: {
            resource: { attributes: KeyValue[] };
            scopeSpans: { spans: Record<string, unknown>[] }[];
          }[];
        };
        for (const rs of body.resourceSpans)
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({
                traceId: s.traceId as string,
                spanId: s.spanId as string,
                parentSpanId: (s.parentSpanId as string | undefined) || undefined,
                name: s.name as string,
                attributes: flat(s.attributes as KeyValue[]),
                events: ((s.events as { name: string; attributes: KeyValue[] }[]) ?? []).map(
                  (e) => ({ name: e.name, attributes: flat(e.attributes) }),
                ),
                status: (s.status as ReceivedSpan["status"]) ?? {},
                service: flat(rs.resource.attributes)["service.name"],
              });
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
