/**
 * The offline plan: `npm run plan -- --stack <name> [--json] [--base <git-ref>] [--dir <dir>]`.
 *
 * Runs the program for a stack under mocked providers (no credentials, no Pulumi CLI, so it also runs on
 * pull requests from forks), with placeholders for secure values, lists the resources per cluster and hub,
 * and evaluates every rule of the policy pack with the stack's policy config.
 *
 *   --json         machine-readable plan: resources (URN, type, name, parent, inputs with secrets shown as
 *                  "[secret]"), stack outputs and violations
 *   --base <ref>   compare with the stack file at a git ref (a pull request's base): adds, changes and
 *                  removes per cluster and hub, and alerts for protected storage, as Markdown
 *   --dir <dir>    where Pulumi.<stack>.yaml is (default: the current directory)
 *
 * Exit codes: 0 no mandatory violation, 1 mandatory violation, 2 config or usage error, 3 the plan failed.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanDiff, PlanJson, diffPlans, renderDiff, renderJson, renderText, toPlanJson, countViolations } from "./planReport";

export const EXIT = { ok: 0, violations: 1, configError: 2, failed: 3 } as const;

interface Options {
    readonly stack: string;
    readonly json: boolean;
    readonly base?: string;
    readonly dir: string;
}

class UsageError extends Error { }

const USAGE = "usage: npm run plan -- --stack <name> [--json] [--base <git-ref>] [--dir <dir>]";

function parseArgs(argv: readonly string[]): Options {
    let stack: string | undefined;
    let base: string | undefined;
    let dir = process.cwd();
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            const next = argv[++i];
            if (next === undefined || next.startsWith("--")) throw new UsageError(`${argv[i - 1]} needs a value\n${USAGE}`);
            return next;
        };
        switch (argv[i]) {
            case "--stack": stack = value(); break;
            case "--base": base = value(); break;
            case "--dir": dir = path.resolve(value()); break;
            case "--json": json = true; break;
            default: throw new UsageError(`unknown argument ${argv[i]}\n${USAGE}`);
        }
    }
    if (!stack) throw new UsageError(`--stack is required\n${USAGE}`);
    if (base && json) throw new UsageError(`--base prints a Markdown summary; it does not combine with --json\n${USAGE}`);
    return { stack, json, base, dir };
}

/** The command line that runs this script again, through ts-node when it runs from source. */
export function planCommand(args: readonly string[]): { file: string; args: string[] } {
    const runner = __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
    return { file: process.execPath, args: [...runner, __filename, ...args] };
}

interface ChildPlan {
    readonly code: number;
    readonly plan?: PlanJson;
    readonly stderr: string;
}

/** Plans `stack` from `dir` in a fresh process (config and mocks are process-global). */
function planInChild(stack: string, dir: string): Promise<ChildPlan> {
    const { file, args } = planCommand(["--stack", stack, "--dir", dir, "--json"]);
    return new Promise(resolve => {
        execFile(file, args, { cwd: path.join(__dirname, ".."), maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : EXIT.failed) : EXIT.ok;
            const planned = code === EXIT.ok || code === EXIT.violations;
            resolve({ code, stderr, ...(planned ? { plan: JSON.parse(stdout) as PlanJson } : {}) });
        });
    });
}

/** `Pulumi.<stack>.yaml` as it is at `ref`, or undefined when the stack does not exist there. */
function stackFileAt(ref: string, stack: string, dir: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        execFile("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: dir }, revError => {
            if (revError) {
                reject(new UsageError(`--base ${ref} is not a commit in ${dir} (fetch it first, e.g. git fetch origin)`));
                return;
            }
            execFile("git", ["show", `${ref}:./Pulumi.${stack}.yaml`], { cwd: dir, maxBuffer: 1 << 26 }, (error, stdout) => {
                resolve(error ? undefined : stdout);
            });
        });
    });
}

/** Plans the stack at `base` and now, each in its own process, and summarizes the difference. */
async function compareWithBase(options: Options & { base: string }): Promise<{ code: number; text: string }> {
    const baseFile = await stackFileAt(options.base, options.stack, options.dir);
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-plan-base-"));
    try {
        if (baseFile !== undefined) fs.writeFileSync(path.join(baseDir, `Pulumi.${options.stack}.yaml`), baseFile);
        const [head, base] = await Promise.all([
            planInChild(options.stack, options.dir),
            baseFile === undefined ? Promise.resolve(undefined) : planInChild(options.stack, baseDir),
        ]);
        if (!head.plan) {
            return { code: head.code, text: `### Offline plan: ${options.stack}\n\nThe plan failed (exit ${head.code}):\n\n\`\`\`text\n${head.stderr.trim()}\n\`\`\`\n` };
        }
        const note = baseFile === undefined ? `Pulumi.${options.stack}.yaml does not exist at ${options.base}: everything is new.`
            : !base?.plan ? `The stack could not be planned at ${options.base} (exit ${base?.code}), so everything shows as new:\n${base?.stderr.trim()}`
                : undefined;
        const diff: PlanDiff = diffPlans(base?.plan, head.plan);
        return { code: head.code, text: renderDiff(diff, head.plan, options.base, note) };
    } finally {
        fs.rmSync(baseDir, { recursive: true, force: true });
    }
}

async function main(argv: readonly string[]): Promise<{ code: number; text: string; error?: string }> {
    const options = parseArgs(argv);
    if (options.base) return compareWithBase({ ...options, base: options.base });
    // Loaded here so that `--base`, which only runs children, never loads the program.
    const { runPlan } = await import("./planRun");
    const outcome = await runPlan(options.stack, options.dir);
    if (outcome.kind === "config-error") return { code: EXIT.configError, text: "", error: outcome.message };
    const plan = toPlanJson(outcome.plan);
    const code = countViolations(plan.violations).mandatory > 0 ? EXIT.violations : EXIT.ok;
    return { code, text: options.json ? renderJson(plan) : renderText(plan) };
}

if (require.main === module) {
    // The SDK can reject outside any awaited promise (a failed serialization); that is a failed plan, not a verdict.
    process.on("unhandledRejection", error => {
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(EXIT.failed);
    });
    main(process.argv.slice(2)).then(
        ({ code, text, error }) => {
            if (error) process.stderr.write(`${error}\n`);
            // Exit only once stdout is flushed: a large plan piped to another process would be cut short.
            process.stdout.write(text, () => process.exit(code));
        },
        (error: unknown) => {
            const usage = error instanceof UsageError;
            process.stderr.write(`${usage ? (error as Error).message : (error as Error)?.stack ?? String(error)}\n`);
            process.exit(usage ? EXIT.configError : EXIT.failed);
        });
}
