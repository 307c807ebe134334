// The cluster fixture itself: three members formed from nothing on 127.0.10.2-4, reached over HTTPS through any
// member with the trusted client certificate; times and memory printed for the report.
import { ClusterDaemons } from "./cluster";

jest.setTimeout(180_000);

const cluster = new ClusterDaemons("fixture", 10);

beforeAll(() => cluster.create());
afterAll(async () => {
  const started = Date.now();
  await cluster.destroy();
  console.log(`cluster torn down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test("three members, online, reached through each one's HTTPS address", async () => {
  console.log(`cluster formed in ${(cluster.formedIn / 1000).toFixed(1)} s; RSS MiB ${JSON.stringify(cluster.rssMiB())}`);
  for (let i = 1; i <= 3; i++) {
    const client = cluster.client(i);
    const server = await client.server();
    expect(server.auth).toBe("trusted");
    expect(server.environment?.server_clustered).toBe(true);
    expect(server.environment?.server_name).toBe(`fixture-m${i}`);
    const members = await client.list<{ server_name: string; url: string; status: string }>("/1.0/cluster/members", { project: null });
    expect(members.map((m) => [m.server_name, m.url, m.status])).toEqual([
      ["fixture-m1", "https://127.0.10.2:8443", "Online"],
      ["fixture-m2", "https://127.0.10.3:8443", "Online"],
      ["fixture-m3", "https://127.0.10.4:8443", "Online"],
    ]);
  }
  const images = await cluster.client(2).list<{ aliases: { name: string }[] }>("/1.0/images", { project: "default" });
  expect(images.flatMap((i) => i.aliases.map((a) => a.name))).toContain("pulumi-incus/busybox");
});
