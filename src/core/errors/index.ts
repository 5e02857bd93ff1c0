export * from "./keel-error.js";
export * from "./permanent-error.js";
export * from "./transient-error.js";
export * from "./definition-errors.js";
export * from "./run-errors.js";
export * from "./store-errors.js";
export * from "./coerce-error.js";
export * from "./classify.js";
