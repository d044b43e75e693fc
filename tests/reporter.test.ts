/**
 * The closing line CI reads: a suite whose `before` hook fails must not read as mostly passed. Runs small
 * suites through a mocha Runner of their own, in this process, counted by the reporter's own tally.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import Mocha = require("mocha");

interface TallyLike { closingLine(): string }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tally } = require("./reporter") as { Tally: new (runner: Mocha.Runner) => TallyLike };

/** Runs the suite `build` fills, without output, and returns its closing line. */
function closingLineOf(build: (root: Mocha.Suite) => void, failHookAffectedTests = false): Promise<string> {
    const root = new Mocha.Suite("", new Mocha.Context());
    build(root);
    const runner = new Mocha.Runner(root, { delay: false, failHookAffectedTests } as Mocha.RunnerOptions);
    const tally = new Tally(runner);
    return new Promise(resolve => runner.run(() => resolve(tally.closingLine())));
}

function suiteOf(parent: Mocha.Suite, title: string, tests: Record<string, (() => void) | undefined>): Mocha.Suite {
    const suite = Mocha.Suite.create(parent, title);
    for (const [name, fn] of Object.entries(tests)) suite.addTest(new Mocha.Test(name, fn));
    return suite;
}

const pass = () => undefined;
const fail = () => { throw new Error("expected failure"); };

describe("the closing line (tests/reporter.js)", () => {
    for (const failHookAffectedTests of [false, true]) {
        it(`counts every test of a suite whose before hook failed as failed (fail-hook-affected-tests ${failHookAffectedTests})`, async () => {
            const line = await closingLineOf(root => {
                suiteOf(root, "fine", { a: pass, b: pass });
                suiteOf(root, "broken", { c: pass, d: pass, e: pass }).beforeAll(fail);
            }, failHookAffectedTests);
            assert.strictEqual(line, failHookAffectedTests ? "2 passed, 3 failed" : "2 passed, 3 failed (3 did not run)");
        });
    }

    it("counts a failed after hook even when every test passed", async () => {
        const line = await closingLineOf(root => { suiteOf(root, "leaky", { a: pass }).afterAll(fail); });
        assert.strictEqual(line, "1 passed, 1 failed");
    });

    it("counts failed tests and keeps skipped ones apart", async () => {
        const line = await closingLineOf(root => { suiteOf(root, "mixed", { a: pass, b: fail, c: undefined }); });
        assert.strictEqual(line, "1 passed, 1 failed, 1 skipped");
    });
});

describe("npm test's runner (tests/run.js)", function () {
    this.timeout(120000);

    it("adds the files' counts up, counting a file that does not load or whose worker dies as failed, and exits 1", () => {
        const fixtures = ["hookFails", "workerDies", "doesNotLoad", "passes"].map(name => path.join(__dirname, "runFixtures", `${name}.ts`));
        const run = spawnSync(process.execPath, [path.join(__dirname, "run.js"), ...fixtures], { encoding: "utf8", timeout: 110000 });
        assert.strictEqual(run.status, 1, run.stderr);
        // Mocha colours its output where it guesses a terminal or CI (CI=true): read it without the escapes.
        const stdout = run.stdout.replace(/\x1B\[[0-9;]*m/g, "");
        assert.match(stdout, /workerDies\.ts: its worker exited \(3\) before the file finished/);
        assert.match(stdout, /doesNotLoad\.ts did not load: Error: this file does not load/);
        assert.match(stdout, /✔ still runs/);
        assert.strictEqual(stdout.trimEnd().split("\n").pop(), "2 passed, 4 failed");
    });
});
