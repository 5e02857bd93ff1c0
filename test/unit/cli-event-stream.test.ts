import { describe, expect, it } from "vitest";
import { EventStreamParser, type StreamEvent } from "../../src/cli/event-stream.js";

function parse(chunks: string[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const parser = new EventStreamParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe("the CLI's server-sent events parser", () => {
  it("reads id, event and data lines; blank lines end events; comments are skipped", () => {
    const stream =
      'retry: 1000\n: keel events after 0\n\nid: 7\nevent: transition\ndata: {"id":7}\n\n: keepalive\n\ndata: a\ndata:b\n\n';
    expect(parse([stream])).toEqual([
      { id: "7", event: "transition", data: '{"id":7}' },
      { id: "7", event: "message", data: "a\nb" },
    ]);
  });

  it("gives the same events whatever the chunking, CRLF and CR included", () => {
    const stream = "id: 1\r\nevent: transition\r\ndata: x\r\n\r\nid: 2\rdata: y\r\r\n";
    const whole = parse([stream]);
    expect(whole).toEqual([
      { id: "1", event: "transition", data: "x" },
      { id: "2", event: "message", data: "y" },
    ]);
    expect(parse([...stream])).toEqual(whole);
    for (let cut = 1; cut < stream.length; cut++)
      expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
  });

  it("holds an unfinished event until its blank line arrives", () => {
    const events: StreamEvent[] = [];
    const parser = new EventStreamParser((e) => events.push(e));
    parser.push("id: 3\ndata: par");
    expect(events).toEqual([]);
    parser.push("tial\n");
    expect(events).toEqual([]);
    parser.push("\n");
    expect(events).toEqual([{ id: "3", event: "message", data: "partial" }]);
  });
});
