export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One request to a node's API and its whole answer, through node:http rather than fetch: fetch's
 * first call compiles its HTTP parser (WebAssembly) and then keeps a short command's process
 * alive while that finishes, about 100 ms of a `keel status` that takes 150. Errors as fetch
 * gives them where the CLI reads them: a refused connection carries `code` ECONNREFUSED, a
 * timeout is named TimeoutError.
 */
export function requestText(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<HttpAnswer> {
  // taken when a request is made, not imported: Node 22+ builds an ES module view of node:http by
  // reading every export, which loads fetch's implementation after all, and node:https loads TLS
  const send =
    url.protocol === "https:"
      ? process.getBuiltinModule("node:https").request
      : process.getBuiltinModule("node:http").request;
  const headers = { ...options.headers };
  if (options.body !== undefined)
    headers["content-length"] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = send(url, { method: options.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", fail);
    });
    const timer = setTimeout(() => {
      const error = new Error(`no answer from ${url.origin} within ${options.timeoutMs} ms`);
      error.name = "TimeoutError";
      req.destroy(error);
    }, options.timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    req.on("error", fail);
    req.end(options.body);
  });
}
