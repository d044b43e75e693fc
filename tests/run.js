// `npm test`: the mocha suite on two worker processes that take test files from one queue, so both cores
// work (the suite is CPU-bound: the program under Pulumi mocks, and tsc). Each file runs as mocha would run
// it (.mocharc.json's options, tests/reporter.js's counting); its spec output prints whole when it ends, and
// the last line adds the files' counts up: "N passed, N failed". A file that cannot load, or whose worker
// dies, counts as failed. Workers end with this process, whatever happens (see tests/runWorker.js).
//
//   node tests/run.js [tests/x.test.ts ...]      (default: every tests/*.test.ts)
const { fork } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { closingLine } = require("./reporter");

const TESTS = __dirname;
const WORKER = path.join(TESTS, "runWorker.js");
/** Runs first: its `it` waits for tsc, which then has a core while the other worker runs the rest. */
const FIRST = "typecheck.test.ts";

function testFiles(args) {
    if (args.length) return args.map(file => path.resolve(file));
    const files = fs.readdirSync(TESTS).filter(name => name.endsWith(".test.ts"));
    // Larger files first, so a long one does not start last while the other worker sits idle.
    const size = name => fs.statSync(path.join(TESTS, name)).size;
    files.sort((a, b) => (b === FIRST) - (a === FIRST) || size(b) - size(a) || a.localeCompare(b));
    return files.map(name => path.join(TESTS, name));
}

function run(files, workerCount) {
    const queue = [...files];
    const total = { passed: 0, failed: 0, notRun: 0, skipped: 0 };
    const workers = new Set();
    const add = counts => { for (const key of Object.keys(total)) total[key] += counts[key]; };

    return new Promise(resolve => {
        const next = worker => {
            const file = queue.shift();
            worker.file = file;
            if (file) worker.send({ file });
            else worker.send({ exit: true });
        };
        const start = () => {
            const worker = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
            workers.add(worker);
            worker.on("message", ({ file, output, counts }) => {
                process.stdout.write(`\n${path.relative(process.cwd(), file)}\n${output}`);
                add(counts);
                next(worker);
            });
            worker.on("exit", (code, signal) => {
                workers.delete(worker);
                if (worker.file) {
                    process.stdout.write(`\n${path.relative(process.cwd(), worker.file)}: its worker exited (${signal ?? code}) before the file finished\n`);
                    add({ passed: 0, failed: 1, notRun: 0, skipped: 0 });
                    if (queue.length) start();
                }
                if (!workers.size) resolve(total);
            });
            next(worker);
        };
        for (let i = 0; i < Math.min(workerCount, files.length); i++) start();
        const stop = signal => {
            for (const worker of workers) worker.kill("SIGKILL");
            process.exit(signal === "SIGINT" ? 130 : 143);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
    });
}

const files = testFiles(process.argv.slice(2));
const workerCount = Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
run(files, workerCount).then(total => {
    process.stdout.write(`\n${closingLine(total)}\n`);
    process.exitCode = total.failed > 0 ? 1 : 0;
});
