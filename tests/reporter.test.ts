/**
 * The closing line CI reads: a suite whose `before` hook fails must not read as mostly passed. Runs small
 * suites through a mocha Runner of their own, in this process, counted by the reporter's own tally.
 */
import * as assert from "assert";
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
