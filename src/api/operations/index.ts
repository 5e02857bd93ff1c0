import type { AnyOperation } from "../operation.js";
import { listAudit } from "./audit.js";
import { cancelMany, retryMany } from "./bulk.js";
import { doctor, doctorFix } from "./doctor.js";
import { emergencyOff, emergencyOn, emergencyStatus } from "./emergency.js";
import { health, status } from "./node.js";
import {
  listQuarantined,
  purgeQuarantined,
  retryQuarantinedRun,
  showQuarantinedRun,
} from "./quarantine.js";
import { cancelRun, listRuns, retryRun, showRun, submitRun, waitRun } from "./runs.js";
import { runLogs, runProgress } from "./run-watch.js";
import { listSources, pauseSource, resumeSource, triggerSource } from "./sources.js";
import { createToken, listTokens, revokeToken } from "./tokens.js";
import * as nodes from "./nodes.js";
import { listTransitions } from "./events.js";
import * as telemetry from "./telemetry.js";
import * as breakers from "./breakers.js";
import { approveGate, listGates, rejectGate } from "./gates.js";
import { createLoginLink, whoAmI } from "./console.js";
import { listPipelines } from "./pipelines.js";
import * as alerts from "./alerts.js";
import * as determinism from "./determinism.js";
import * as shadows from "./shadows.js";

/** Every operation of the API, in the order docs/api.md lists them. */
export const operations: readonly AnyOperation[] = [
  listRuns,
  showRun,
  submitRun,
  waitRun,
  runProgress,
  runLogs,
  cancelRun,
  cancelMany,
  retryRun,
  listGates,
  approveGate,
  rejectGate,
  determinism.verify,
  determinism.listGoldens,
  determinism.diffGoldenOp,
  determinism.saveGoldenOp,
  shadows.listShadows,
  shadows.startShadowOp,
  shadows.shadowReport,
  shadows.stopShadowOp,
  listQuarantined,
  // a fixed path before its parametric sibling, for readers; the router does not care
  purgeQuarantined,
  retryMany,
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
  alerts.list,
  alerts.show,
  alerts.silence,
  alerts.unsilence,
  alerts.test,
  telemetry.throughput,
  telemetry.failures,
  telemetry.latency,
  telemetry.clean,
  emergencyStatus,
  emergencyOn,
  emergencyOff,
  status,
  health,
  doctor,
  doctorFix,
  listTokens,
  createToken,
  revokeToken,
  listPipelines,
  whoAmI,
  createLoginLink,
  nodes.listNodes,
  nodes.showNode,
  nodes.drainNode,
  nodes.undrainNode,
  nodes.forgetNode,
  nodes.listJoinTokens,
  nodes.createJoinTokenOp,
  nodes.revokeJoinTokenOp,
];
