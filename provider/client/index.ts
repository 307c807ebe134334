export * from "./client";
export * from "./endpoint";
export * from "./errors";
export * from "./schemas";
