// The systems under test. An entry is one adapter (systems/<module>.mjs) with one set of
// settings; `cases` limits a non-default variant to the cases where it tells something new.
export const entries = [
  { id: "keel", module: "keel", variant: {}, variantLabel: "default" },
  {
    id: "keel-full",
    module: "keel",
    variant: { durability: "full" },
    variantLabel: "durability full",
    cases: [1, 2],
  },
  { id: "bullmq", module: "bullmq", variant: {}, variantLabel: "default" },
  {
    // the persistence BullMQ's production guide recommends, on a Redis the harness starts
    id: "bullmq-aof",
    module: "bullmq",
    variant: { redis: "aof-everysec" },
    variantLabel: "Redis AOF everysec",
    cases: [1, 2, 3, 4],
  },
  { id: "pg-boss", module: "pg-boss", variant: {}, variantLabel: "default" },
  {
    id: "pg-boss-fastpoll",
    module: "pg-boss",
    variant: { pollingIntervalSeconds: 0.5 },
    variantLabel: "pollingIntervalSeconds 0.5",
    cases: [2, 3, 4],
  },
  { id: "graphile-worker", module: "graphile-worker", variant: {}, variantLabel: "default" },
];

const aliases = {
  pgboss: "pg-boss",
  graphile: "graphile-worker",
  "graphile-worker": "graphile-worker",
  bull: "bullmq",
};

/** --only keel,bullmq: a token names a module (all its variants) or one entry id */
export function selectEntries(only) {
  if (!only) return entries;
  const tokens = only
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean)
    .map((t) => aliases[t] ?? t);
  return entries.filter((e) => tokens.includes(e.module) || tokens.includes(e.id));
}

export function selectedModules(only) {
  return [...new Set(selectEntries(only).map((e) => e.module))];
}

const loaded = new Map();
export async function loadAdapter(module) {
  if (!loaded.has(module)) loaded.set(module, await import(`./${module}.mjs`));
  return loaded.get(module);
}

/** what adapters started for the run (bullmq's own Redis servers) is stopped */
export async function shutdownAdapters() {
  for (const adapter of loaded.values()) await adapter.shutdown?.();
}
