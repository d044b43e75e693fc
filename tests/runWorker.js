// One worker of tests/run.js: runs the test files it is sent, one mocha run each, in this process (modules
// stay loaded between files, as in one mocha process), and answers with the file's spec output and counts.
require("./register");
const { Mocha } = require("mocha");
const mocharc = require("../.mocharc.json");
const { Tally } = require("./reporter");

// The runner is gone (ended or killed): so is this worker, and with it the processes its tests started.
process.on("disconnect", () => process.exit(1));

async function runFile(file) {
    let output = "";
    let tally;
    class CapturedSpec extends Mocha.reporters.Spec {
        constructor(runner, options) {
            super(runner, options);
            tally = new Tally(runner);
        }
    }
    const mocha = new Mocha({
        reporter: CapturedSpec,
        timeout: mocharc.timeout,
        failHookAffectedTests: mocharc["fail-hook-affected-tests"],
    });
    mocha.addFile(file);
    const write = process.stdout.write;
    process.stdout.write = chunk => { output += chunk; return true; };
    try {
        await mocha.loadFilesAsync();
        await new Promise(resolve => mocha.run(resolve));
    } catch (error) {
        tally = undefined;
        output += `${file} did not load: ${error.stack ?? error}\n`;
    } finally {
        process.stdout.write = write;
        // Removes the run's process listeners: a finished run's unhandledRejection handler re-emits the event
        // to the other handlers, so after a few files one rejection would bounce between them without end.
        mocha.dispose();
    }
    const counts = tally ? tally.counts() : { passed: 0, failed: 1, notRun: 0, skipped: 0 };
    process.send({ file, output, counts });
}

process.on("message", message => {
    if (message.exit) process.exit(0);
    runFile(message.file);
});
