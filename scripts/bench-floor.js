// The raw floor of the benchmarks: the same work as a pulumi-incus stack, sent straight to Incus with the project's
// IncusClient, all in parallel (what Incus itself needs), and the temporary projects the benchmarks work in.
const { isNotFound } = require("../dist/provider");
const { cleanups } = require("./bench-stack");

const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";

/** Direct REST calls through `client` (an IncusClient). */
function floor(client) {
  async function createProject(name, config) {
    await client.post("/1.0/projects", { name, description: "pulumi-incus benchmark (temporary)", config }, { project: null });
    cleanups.push(async () => {
      // Normally empty by now; after a failure, whatever a run left behind goes with the project.
      await removeInstances(name).catch(() => undefined);
      if (config["features.profiles"] === "true") {
        const profiles = await client.list("/1.0/profiles", { project: name }).catch(() => []);
        for (const p of profiles) if (p.name !== "default") await client.delete(`/1.0/profiles/${encodeURIComponent(p.name)}`, { project: name });
      }
      if (config["features.storage.volumes"] === "true") {
        const volumes = await client.list("/1.0/storage-pools/default/volumes/custom", { project: name }).catch(() => []);
        for (const v of volumes) await client.delete(`/1.0/storage-pools/default/volumes/custom/${encodeURIComponent(v.name)}`, { project: name });
      }
      await client.delete(`/1.0/projects/${encodeURIComponent(name)}`, { project: null }).catch((e) => {
        if (!isNotFound(e)) console.error(`cleanup: project ${name}: ${e.message}`);
      });
    });
  }

  const listInstances = (project) => client.list("/1.0/instances", { project });

  /** The raw delete: force-stop what runs, then delete, all in parallel. */
  async function removeInstances(project) {
    let list;
    try {
      list = await listInstances(project);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await Promise.all(
      list.map(async (i) => {
        const p = `/1.0/instances/${encodeURIComponent(i.name)}`;
        if (i.status !== "Stopped") await client.put(`${p}/state`, { action: "stop", force: true }, { project }).catch(() => undefined);
        await client.delete(p, { project }).catch(forgotten);
      }),
    );
  }

  /**
   * Create and start N containers in parallel: one POST with start=true each (Incus's own fastest way). `targetOf(i)`:
   * on a cluster, where the i-th goes (a member or `@<group>`, the `target` query parameter), as the stack places it.
   */
  async function restDeploy(project, names, targetOf = () => undefined) {
    await Promise.all(
      names.map((name, i) => {
        const target = targetOf(i);
        const at = target ? `/1.0/instances?target=${encodeURIComponent(target)}` : "/1.0/instances";
        return client.post(at, { name, type: "container", source: { type: "image", alias: IMAGE }, start: true }, { project }).catch(forgotten);
      }),
    );
  }

  const running = async (project) => (await listInstances(project)).filter((i) => i.status === "Running").length;

  return { createProject, listInstances, removeInstances, restDeploy, running };
}

/**
 * On a loaded machine Incus can forget a finished operation (it keeps one 5 s) before its waiter asks again (404):
 * the floor's callers count what the daemon has afterwards.
 */
function forgotten(e) {
  if (!isNotFound(e) || !/operations/.test(e.message)) throw e;
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

module.exports = { IMAGE, floor, timed };
