import type { BreakerOptions } from "../../src/index.js";

/**
 * How the demo's embedding step reaches the embedding service: at $KEEL_DEMO_EMBEDDING_URL when it
 * is set (e.g. http://127.0.0.1:7431), through the breaker `embedding-service`; without it, the
 * step embeds locally and the demo needs no network. The probe asks the service's /health.
 */
export const embeddingBreaker = "embedding-service";

export function embeddingServiceUrl(): string | undefined {
  return process.env.KEEL_DEMO_EMBEDDING_URL || undefined;
}

export async function embedRemote(
  url: string,
  texts: readonly string[],
  signal: AbortSignal,
): Promise<{ terms: number; vector: number[] }[]> {
  const response = await call(`${url}/embed`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ texts }),
    signal,
  });
  const { embeddings } = (await response.json()) as {
    embeddings: { terms: number; vector: number[] }[];
  };
  if (embeddings?.length !== texts.length)
    throw new Error(
      `the embedding service answered ${embeddings?.length} embeddings for ${texts.length} texts`,
    );
  return embeddings;
}

/** fetch, with the socket's own error (ECONNREFUSED...) rather than fetch's TypeError wrapper */
async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw (error as { cause?: unknown }).cause ?? error;
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

/** The demo's breaker: opens after 3 failures; the probe closes it as soon as /health answers. */
export const demoBreakers: Record<string, BreakerOptions> = {
  [embeddingBreaker]: {
    failureThreshold: 3,
    recoveryTimeoutMs: 30_000,
    halfOpenRequests: 2,
    probeIntervalMs: 200,
    probe: async (signal) => {
      const url = embeddingServiceUrl();
      if (url) await call(`${url}/health`, { signal });
    },
  },
};
