// engine/isolation/: steps with `isolation: "process"` run in a pool of child processes.
//   pool.ts     the node's children: lazy start, warm while idle, replaced after a death
//   worker.ts   one child and its task: crash -> worker_crashed, abort -> grace -> SIGKILL
//   child.ts    the child's entry (run from dist/): imports the module, runs one step at a time
//   protocol.ts the IPC messages between them
//   poison.ts   runs that killed their worker N times go to quarantine as `poison`
export { ProcessPool, type PoolOptions, type WorkerDeath, type WorkerProcess } from "./pool.js";
export { isolatedRunner } from "./isolated-runner.js";
export { isPoisoned, workerCrashes, defaultPoisonAfter } from "./poison.js";
