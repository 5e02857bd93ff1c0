import * as z from "zod";

export { isoTime, round2 } from "./iso-time.js";

/** an ISO time, or the marker isoTime gives a time no calendar holds */
export const timeSchema = z.string();
export const maybeTimeSchema = timeSchema.nullable();
/** JSON a pipeline or a person wrote: passed through as it is, never renamed */
export const freeJsonSchema = z.unknown();
