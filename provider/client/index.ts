export * from "./client";
export * from "./endpoint";
export * from "./errors";
export * from "./schemas";
export { type CliConfig, cliConfigDir, type CliRemote, loadCliConfig, serverCertPath } from "./cliconfig";
export { EventSchema, type EventType, type IncusEvent } from "./events";
export * from "./instanceio";
