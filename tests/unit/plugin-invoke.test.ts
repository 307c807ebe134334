// The plugin's functions (Invoke) against the stand-in daemon: a credential key of a lookup's result (the server's
// `loki.auth.password`) goes back to the engine marked secret, the other keys plain.
import { incusPlugin } from "../../provider/plugin/provider";
import { fakeIncusForFile } from "./fake-incus";

const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const daemon = fakeIncusForFile({ asDefault: true });

test("getServerConfig: credential keys come back marked secret", async () => {
  daemon.current.set("/1.0", { config: { "core.https_address": ":8443", "loki.auth.password": "hunter2" } });
  const { outputs } = await incusPlugin("0.0.0").invoke!("incus:index:getServerConfig", {});
  expect(outputs.config).toEqual({ "core.https_address": ":8443", "loki.auth.password": { ...SECRET, value: "hunter2" } });
});
