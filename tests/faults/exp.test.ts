import { FaultDaemon } from "./daemon";
jest.setTimeout(300_000);
test("exp", async () => {
  const d = new FaultDaemon("exp");
  let t = Date.now();
  await d.create();
  console.log("create", Date.now() - t);
  d.incus("project", "create", "p1", "-c", "features.images=false", "-c", "features.profiles=false");
  console.log(d.incus("image", "list", "--format", "csv"));
  // storage pool user.* ?
  try { d.incus("storage", "set", "default", "user.x", "1"); console.log("pool user ok"); } catch (e) { console.log("pool user.*", String((e as any).stderr)); }
  try { d.incus("project", "set", "p1", "user.x", "1"); console.log("project user ok"); } catch (e) { console.log("project user.*", String((e as any).stderr)); }
  try { d.incus("storage", "volume", "create", "default", "v1", "user.x=1", "--project", "p1"); console.log("volume user ok"); } catch (e) { console.log("vol user.*", String((e as any).stderr)); }
  // kill mid create of several instances
  const c = d.client();
  const ps = [];
  for (let i = 0; i < 6; i++) ps.push(c.post("/1.0/instances", { name: `c${i}`, source: { type: "image", alias: "pulumi-incus/busybox" } }, { project: "p1" }).then(() => "ok", (e) => String(e)));
  await new Promise((r) => setTimeout(r, 250));
  t = Date.now();
  await d.kill();
  console.log(await Promise.all(ps));
  await d.start();
  console.log("restart", Date.now() - t);
  console.log(d.incus("list", "--project", "p1", "--format", "csv"));
  for (let i = 0; i < 6; i++) {
    const r1 = await c.get<any>(`/1.0/instances/c${i}`, { project: "p1", query: { recursion: 1 } }).then((r) => JSON.stringify({ st: r.value.status, state: r.value.state && Object.keys(r.value.state), disk: r.value.state?.disk, dev: r.value.expanded_devices }), (e) => String(e));
    const r2 = await c.get<any>(`/1.0/storage-pools/default/volumes/container/c${i}`, { project: "p1" }).then((r) => "vol ok " + JSON.stringify(r.value.config), (e) => String(e));
    console.log(`c${i}`, r1, r2);
    try { d.incus("start", `c${i}`, "--project", "p1"); console.log(`c${i} started`);} catch (e) { console.log(`c${i}`, String((e as any).stderr)); }
    try { d.incus("delete", "-f", `c${i}`, "--project", "p1"); console.log(`c${i} deleted`);} catch (e) { console.log(`c${i} del`, String((e as any).stderr)); }
  }
  console.log(d.incus("list", "--project", "p1", "--format", "csv"));
  t = Date.now();
  await d.destroy();
  console.log("destroy", Date.now() - t);
});
