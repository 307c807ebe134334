// Which Incus a resource talks to: its own settings, else the provider-wide ones from stack config (incus:*).
import { IncusClient, resolveUnixEndpoint } from "../client";

export interface ProviderSettings {
  remote?: string;
  project?: string;
  socket?: string;
  configDir?: string;
}

let settings: ProviderSettings = {};

/** Called from the dynamic provider's `configure` with the stack's `incus:*` values. */
export function configure(next: ProviderSettings): void {
  settings = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined && v !== "")) as ProviderSettings;
}

export function providerSettings(): ProviderSettings {
  return settings;
}

const clients = new Map<string, IncusClient>();

/** One client per distinct connection in this process (the client shares one connection pool per endpoint). */
export function clientFor(state: Record<string, unknown>): IncusClient {
  const socket = (state.socket as string | undefined) ?? settings.socket;
  const key = JSON.stringify([socket, state.remote ?? settings.remote, state.configDir ?? settings.configDir]);
  let client = clients.get(key);
  if (!client) {
    client = new IncusClient(resolveUnixEndpoint(socket));
    clients.set(key, client);
  }
  return client;
}

/** The project a resource uses when it names none: stack config, else the endpoint's default. */
export function defaultProject(client: IncusClient): string {
  return settings.project ?? client.defaultProject;
}
