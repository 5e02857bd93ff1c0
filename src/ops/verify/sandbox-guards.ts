import { createRequire, syncBuiltinESMExports } from "node:module";
import { resolve, sep } from "node:path";

// the built-ins' module objects (an ESM namespace cannot be patched; these can)
const require = createRequire(import.meta.url);
const crypto = require("node:crypto") as typeof import("node:crypto");
const fs = require("node:fs") as typeof import("node:fs");
const http = require("node:http") as typeof import("node:http");
const https = require("node:https") as typeof import("node:https");
const net = require("node:net") as typeof import("node:net");
const tls = require("node:tls") as typeof import("node:tls");

/**
 * What the replay sandbox watches in its own process, once the pipeline's module is loaded: calls
 * to the network (refused: a replay must have no side effect), file reads outside the module's
 * folder (allowed, but noted), file writes (refused), and reads of unseeded randomness and of the
 * clock (counted). Every patched function is a property of its module object; named ESM imports
 * of node built-ins see the patch through syncBuiltinESMExports.
 */
export interface Watch {
  external: string[];
  rng: number;
  clock: number;
}

export class SandboxRefusal extends Error {
  readonly code = "unrecorded_call";
}

export function installGuards(moduleDir: string): { reset(): Watch } {
  let watch: Watch = { external: [], rng: 0, clock: 0 };
  const refuse = (what: string): never => {
    watch.external.push(what);
    throw new SandboxRefusal(`the replay sandbox refused ${what}: not recorded (use ctx.fetch)`);
  };
  const inside = (path: unknown): boolean => {
    const text = path instanceof URL ? path.pathname : typeof path === "string" ? path : null;
    if (text === null) return true; // a file descriptor was opened (and noted) before
    const full = resolve(text);
    return full === moduleDir || full.startsWith(moduleDir + sep);
  };

  patch(globalThis, "fetch", () => (input: unknown) => refuse(`fetch ${requestUrl(input)}`));
  for (const [name, mod] of [
    ["http", http],
    ["https", https],
  ] as const)
    for (const fn of ["request", "get"] as const)
      patch(mod, fn, () => (input: unknown) => refuse(`${name}.${fn} ${requestUrl(input)}`));
  for (const [name, mod] of [
    ["net", net],
    ["tls", tls],
  ] as const)
    for (const fn of ["connect", "createConnection"] as const)
      if (fn in mod)
        patch(
          mod,
          fn as never,
          () =>
            (...args: unknown[]) =>
              refuse(`${name}.${fn} ${JSON.stringify(args[0])}`),
        );

  const reads = [
    "readFileSync",
    "readFile",
    "createReadStream",
    "openSync",
    "open",
    "readdirSync",
    "readdir",
  ] as const;
  for (const fn of reads)
    patch(fs, fn, (original) => (path: unknown, ...rest: unknown[]) => {
      if (!inside(path)) watch.external.push(`read ${String(path)}`);
      return (original as (...a: unknown[]) => unknown)(path, ...rest);
    });
  for (const fn of ["readFile", "open", "readdir"] as const)
    patch(fs.promises, fn, (original) => (path: unknown, ...rest: unknown[]) => {
      if (!inside(path)) watch.external.push(`read ${String(path)}`);
      return (original as (...a: unknown[]) => unknown)(path, ...rest);
    });
  const writes = [
    "writeFileSync",
    "writeFile",
    "appendFileSync",
    "appendFile",
    "createWriteStream",
    "rmSync",
    "unlinkSync",
  ] as const;
  for (const fn of writes) patch(fs, fn, () => (path: unknown) => refuse(`write ${String(path)}`));
  for (const fn of ["writeFile", "appendFile", "rm", "unlink"] as const)
    patch(fs.promises, fn, () => (path: unknown) => refuse(`write ${String(path)}`));

  const count = <T extends (...a: never[]) => unknown>(original: T): T =>
    ((...args: never[]) => {
      watch.rng++;
      return original(...args);
    }) as T;
  patch(Math, "random", count);
  for (const fn of ["randomUUID", "randomBytes", "randomInt", "getRandomValues"] as const)
    patch(crypto, fn, count as never);
  if (globalThis.crypto) {
    const web = globalThis.crypto;
    patch(web, "randomUUID", (o) => count(o.bind(web)));
    patch(web, "getRandomValues", (o) => count(o.bind(web)) as never);
  }
  watchClock(() => watch.clock++);
  syncBuiltinESMExports();
  return {
    reset() {
      const seen = watch;
      watch = { external: [], rng: 0, clock: 0 };
      return seen;
    },
  };
}

function patch<T extends object, K extends keyof T>(
  target: T,
  key: K,
  make: (original: T[K]) => unknown,
): void {
  const original = target[key];
  if (typeof original !== "function") return;
  // a few built-ins (crypto.getRandomValues) are fixed in place: those go unwatched
  try {
    Object.defineProperty(target, key, {
      value: make(original),
      writable: true,
      configurable: true,
    });
  } catch {
    /* not configurable */
  }
}

/** Date.now() and `new Date()` with no argument read the clock; a Date of a given time does not. */
function watchClock(onRead: () => void): void {
  const Original = Date;
  const now = Original.now.bind(Original);
  function Watched(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) {
      onRead();
      return Original();
    }
    if (args.length === 0) onRead();
    return Reflect.construct(Original, args, new.target);
  }
  Object.setPrototypeOf(Watched, Original);
  Watched.prototype = Original.prototype;
  Watched.now = () => {
    onRead();
    return now();
  };
  globalThis.Date = Watched as unknown as DateConstructor;
}

function requestUrl(input: unknown): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  if (input && typeof input === "object") {
    const o = input as {
      url?: unknown;
      href?: unknown;
      host?: unknown;
      hostname?: unknown;
      port?: unknown;
      path?: unknown;
    };
    if (typeof o.url === "string") return o.url;
    if (typeof o.href === "string") return o.href;
    return `${String(o.hostname ?? o.host ?? "?")}${o.port ? `:${String(o.port)}` : ""}${typeof o.path === "string" ? o.path : ""}`;
  }
  return String(input);
}
