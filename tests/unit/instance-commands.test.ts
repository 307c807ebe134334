// What the preview says about an instance's commands, from the stored results alone (no daemon): a failed run is
// said as failed and runs again, a changed trigger runs it again, an unchanged command does not run, and state written
// before results carried their digest still tells a changed command from an unchanged one.
import { kinds, UNKNOWN } from "pulumi-incus/provider";
import { type CommandSpec, commandDigest } from "../../provider/kinds/instanceCommands";

type State = Record<string, unknown>;
const live = { name: "app", status: "Running" };
// No files and no waits: the commands' lines need no request.
const said = (news: State, olds: State) => kinds.Instance.content!.diff({} as any, news as any, olds as any, live);

const setup: CommandSpec = { command: "apt-get install -y app", triggers: ["1.0"] };
const ran = (c: CommandSpec, exitCode = 0) => ({ exitCode, stdout: "", stderr: "", digest: commandDigest(c) });
const instance = (commands: Record<string, CommandSpec>, commandResults: State = {}) => ({ name: "app", commands, commandResults });

it("a command that failed last time says so, with its exit code, and runs again", async () => {
  const stored = instance({ setup }, { setup: ran(setup, 4) });
  expect(await said(stored, stored)).toEqual(["commands.setup: failed last time (exit code 4), will run again"]);
});

it("a changed trigger runs the command again; the same triggers do not", async () => {
  const stored = instance({ setup }, { setup: ran(setup) });
  expect(await said(stored, stored)).toEqual([]);
  const bumped = { ...setup, triggers: ["1.1"] };
  expect(await said(instance({ setup: bumped }, stored.commandResults), stored)).toEqual(["commands.setup: triggers changed, will run again"]);
  // A trigger only known after apply (another resource's output, in a preview): it may run.
  expect(await said(instance({ setup: { ...setup, triggers: [UNKNOWN] } }, stored.commandResults), stored)).toEqual([
    "commands.setup: depends on a value known after apply; runs again if it changes",
  ]);
});

it("after a failed up recorded the new inputs, a command that did not run yet is still changed (its digest says what ran)", async () => {
  const next = { ...setup, command: "apt-get install -y app=2" };
  // The stored declaration is already the new one; the result is from the old one.
  const stored = instance({ setup: next, check: { command: "false" } }, { setup: ran(setup), check: ran({ command: "false" }, 1) });
  expect(await said(stored, stored)).toEqual(["commands.setup: changed", "commands.check: failed last time (exit code 1), will run again"]);
});

it("results without a digest (older state) compare the stored declaration, in any key order", async () => {
  const legacy = { setup: { exitCode: 0, stdout: "", stderr: "" } };
  const reordered = { triggers: ["1.0"], command: "apt-get install -y app" } as CommandSpec;
  expect(await said(instance({ setup }, legacy), instance({ setup: reordered }, legacy))).toEqual([]);
  expect(await said(instance({ setup: { ...setup, triggers: ["2"] } }, legacy), instance({ setup }, legacy))).toEqual([
    "commands.setup: triggers changed, will run again",
  ]);
});
