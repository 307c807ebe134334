// The daemon the other suites rely on answers over the unix socket.
import { closeAllPools, IncusClient } from "pulumi-incus/provider";

afterAll(() => closeAllPools());

it("GET /1.0 over the unix socket returns a trusted server with a version", async () => {
  const server = await new IncusClient().server();
  expect(server.auth).toBe("trusted");
  expect(server.environment?.server_version).toMatch(/^\d+\.\d+/);
});
