// Where an instance runs on a cluster: `target` (a member, or `@group`) places it at create (`?target=`), and a
// target its member does not satisfy moves it: stopped, moved (Incus cannot move a running container without CRIU),
// started again when it ran. Where the scheduler or a group put it is the server's choice: no difference while the
// member satisfies the target. Part of the Instance kind (instance.ts).
import { settledWrite } from "../client";
import type { Context, Live } from "../engine/kind";
import { locationOf, satisfies } from "../engine/target";
import { instancePath, isRunning, setState } from "./instanceState";

export interface PlacementInputs {
  name: string;
  target?: string;
  running?: boolean;
  ephemeral?: boolean;
  stopTimeout?: number;
}

/** The preview's line when the instance will move; none while its member satisfies the target. */
export async function placementDiff(ctx: Context, inputs: PlacementInputs, live: Live): Promise<string[]> {
  const location = locationOf(live);
  if (await satisfies(ctx.client, inputs.target, location)) return [];
  const how = isRunning(live) ? " (stopped, moved and started again)" : "";
  return [`target: on cluster member "${location}", program wants "${inputs.target}": the instance moves${how}`];
}

/** Moves the instance where its target wants it, when it is not there; returns the live object as it is then. */
export async function moveToTarget(ctx: Context, inputs: PlacementInputs, live: Live): Promise<Live> {
  if (await satisfies(ctx.client, inputs.target, locationOf(live))) return live;
  const running = isRunning(live);
  // Stopping an ephemeral instance deletes it.
  if (running && inputs.ephemeral) throw new Error(`target: a running ephemeral instance cannot move (stopping it deletes it)`);
  if (running) await setState(ctx, inputs, "stop");
  // A move whose operation was gone: done when the instance is where the target wants it, not done when still here.
  const from = locationOf(live);
  await settledWrite(
    () => ctx.client.post(instancePath(inputs), { name: inputs.name, migration: true }, { project: ctx.project, query: { target: inputs.target } }),
    async () => {
      const now = locationOf((await ctx.client.get<Live>(instancePath(inputs), { project: ctx.project })).value);
      return (await satisfies(ctx.client, inputs.target, now)) ? true : now === from ? false : undefined;
    },
  );
  if (running && (inputs.running ?? true)) await setState(ctx, inputs, "start");
  return (await ctx.client.get<Live>(instancePath(inputs), { project: ctx.project })).value;
}
