import { spawn, type ChildProcess } from "node:child_process";

/**
 * A dependency in its own process (the CLI runs synchronously in these tests, which would stall a
 * server in the test's own process): every request is answered `answer` and counted, but GET
 * /hits, which says how many it counted.
 */
export interface CountingServer {
  base: string;
  hits(): Promise<number>;
  child: ChildProcess;
}

export async function countingServer(answer: string): Promise<CountingServer> {
  const script = `let n = 0;
const s = require("node:http").createServer((req, res) => res.end(req.url === "/hits" ? String(n) : (n++, ${JSON.stringify(answer)})));
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) =>
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())),
  );
  const base = `http://127.0.0.1:${port}`;
  return { base, child, hits: async () => Number(await (await fetch(`${base}/hits`)).text()) };
}
