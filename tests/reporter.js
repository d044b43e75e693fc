// Mocha's spec reporter plus the closing line CI reads: "N passed, N failed".
//
// Mocha's own counts leave out tests that never ran: a failed `before` hook skips every test of its suite
// and counts once (unless --fail-hook-affected-tests, which .mocharc.json sets), and a run cut short stops
// counting. Here every registered test that did not pass and was not skipped counts as failed, and a failed
// hook that skipped nothing (an `after` hook) still makes the line say so.
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** Counts a runner's outcomes from its events, against the number of tests it registered. */
class Tally {
    constructor(runner) {
        this.runner = runner;
        this.passes = 0;
        this.pending = 0;
        this.testFailures = 0;
        this.hookFailures = 0;
        runner.on(EVENT_TEST_PASS, () => { this.passes++; });
        runner.on(EVENT_TEST_PENDING, () => { this.pending++; });
        runner.on(EVENT_TEST_FAIL, runnable => {
            if (runnable.type === "test") this.testFailures++;
            else this.hookFailures++;
        });
    }

    /** What the runner did: passed, failed (tests that did not run included), of those not run, and skipped. */
    counts() {
        const notPassed = this.runner.total - this.passes - this.pending;
        const notRun = notPassed - this.testFailures;
        // Hook failures show through the tests they skipped; one that skipped none still fails the run.
        const failed = notPassed > 0 ? notPassed : this.hookFailures;
        return { passed: this.passes, failed, notRun: Math.max(notRun, 0), skipped: this.pending };
    }

    closingLine() {
        return closingLine(this.counts());
    }
}

/** "N passed, N failed", with how many never ran and how many were skipped on purpose. */
function closingLine({ passed, failed, notRun, skipped }) {
    return `${passed} passed, ${failed} failed${notRun > 0 ? ` (${notRun} did not run)` : ""}` +
        `${skipped ? `, ${skipped} skipped` : ""}`;
}

class CountingReporter extends Spec {
    constructor(runner, options) {
        super(runner, options);
        const tally = new Tally(runner);
        runner.once(EVENT_RUN_END, () => process.stdout.write(`${tally.closingLine()}\n`));
    }
}
CountingReporter.Tally = Tally;
CountingReporter.closingLine = closingLine;
module.exports = CountingReporter;
