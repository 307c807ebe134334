export * from "./client";
export * from "./endpoint";
export * from "./errors";
export * from "./schemas";
export * from "./certs";
export * from "./trust";
export { type CliConfig, cliConfigDir, type CliRemote, loadCliConfig, saveCliRemote, serverCertPath } from "./cliconfig";
export { EventSchema, type EventType, type IncusEvent } from "./events";
export * from "./instanceio";
