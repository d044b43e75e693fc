/**
 * `tsc --noEmit` over the whole project, as part of `npm test`. It runs in a process of its own, started by
 * a root hook: under mocha alone it checks types while the suite runs; under tests/run.js this file goes
 * first, so tsc has a core while the other worker runs the suite. It is killed if it outlives its time, and
 * in a root `after` whatever happened.
 */
import * as assert from "assert";
import { ChildProcess, execFile } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
/** The type check alone takes 20-30 s of CPU; on busy cores it waits for its share. */
const TIMEOUT_MS = 300000;

let child: ChildProcess | undefined;
let result: Promise<{ code: number; output: string }> | undefined;

before(() => {
    result = new Promise(resolve => {
        child = execFile(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", ROOT],
            { cwd: ROOT, maxBuffer: 1 << 26, timeout: TIMEOUT_MS, killSignal: "SIGKILL" },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
    });
});

after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

describe("type check (tsc --noEmit)", () => {
    it("finds no type error in the program, scripts, policies and tests", async function () {
        this.timeout(TIMEOUT_MS + 10000);
        const { code, output } = await result!;
        assert.strictEqual(code, 0, output);
    });
});
