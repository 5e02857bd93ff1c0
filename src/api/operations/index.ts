import type { AnyOperation } from "../operation.js";
import { listAudit } from "./audit.js";
import { emergencyOff, emergencyOn, emergencyStatus } from "./emergency.js";
import { health, status } from "./node.js";
import {
  listQuarantined,
  purgeQuarantined,
  retryQuarantinedRun,
  showQuarantinedRun,
} from "./quarantine.js";
import { cancelRun, listRuns, retryRun, showRun, submitRun, waitRun } from "./runs.js";
import { listSources, pauseSource, resumeSource, triggerSource } from "./sources.js";
import { createToken, listTokens, revokeToken } from "./tokens.js";
import { listTransitions } from "./events.js";
import * as telemetry from "./telemetry.js";
import * as breakers from "./breakers.js";
import * as determinism from "./determinism.js";

/** Every operation of the API, in the order docs/api.md lists them. */
export const operations: readonly AnyOperation[] = [
  listRuns,
  showRun,
  submitRun,
  waitRun,
  cancelRun,
  retryRun,
  determinism.verify,
  determinism.listGoldens,
  determinism.diffGoldenOp,
  determinism.saveGoldenOp,
  listQuarantined,
  // a fixed path before its parametric sibling, for readers; the router does not care
  purgeQuarantined,
  showQuarantinedRun,
  retryQuarantinedRun,
  listSources,
  pauseSource,
  resumeSource,
  triggerSource,
  listAudit,
  listTransitions,
  breakers.list,
  breakers.trip,
  breakers.reset,
  telemetry.throughput,
  telemetry.failures,
  telemetry.latency,
  telemetry.clean,
  emergencyStatus,
  emergencyOn,
  emergencyOff,
  status,
  health,
  listTokens,
  createToken,
  revokeToken,
];
