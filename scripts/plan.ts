/**
 * The offline plan: `npm run plan -- --stack <name> [--json] [--base <git-ref>] [--dir <dir>] [--out <file>]`.
 *
 * Runs the program for a stack under mocked providers (no credentials, no Pulumi CLI, so it also runs on
 * pull requests from forks), with placeholders for secure values, lists the resources per cluster and hub,
 * and evaluates every rule of the policy pack with the stack's policy config.
 *
 *   --json         machine-readable plan: resources (URN, type, name, parent, inputs with secrets shown as
 *                  "[secret]"), stack outputs and violations. npm prints its own banner on stdout: use
 *                  `npm run --silent plan -- --json`, or --out
 *   --base <ref>   compare with the stack file at a git ref (a pull request's base, the last deployed
 *                  commit): adds, changes and removes per cluster and hub, and alerts for stored data, as
 *                  Markdown. Both sides are planned with the current program, one after the other
 *   --dir <dir>    where Pulumi.<stack>.yaml is (default: the current directory)
 *   --out <file>   write the report (text, JSON or Markdown) to <file> instead of stdout
 *   --strict       access-group members who cannot log into any hub on their cluster are errors (exit 1),
 *                  not warnings; CI plans with it
 *   --first-preview  plan the stack's first `pulumi preview`, against clusters where nothing exists yet:
 *                  computed values are unknown and a read of anything the program creates fails, as the
 *                  engine does (scripts/mocks.ts `empty-cluster-preview`). Exit 3 if that preview would fail
 *
 * Exit codes:
 *   0  no mandatory policy violation, no stored data at risk
 *   1  a mandatory policy violation
 *   2  a config or usage error
 *   3  the plan failed (the program threw)
 *   4  (--base) the change deletes or replaces stored data: protected storage, which `pulumi up` refuses to
 *      delete, or users' volumes and hub databases that go with a hub's or cluster's Kubernetes objects,
 *      which it does not; the deploy workflow stops on it. When 1 also applies, the plan exits 1.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanJson, diffPlans, renderDiff, renderJson, renderText, toPlanJson, countViolations } from "./planReport";
import type { PlanOutcome } from "./planRun";

export const EXIT = { ok: 0, violations: 1, configError: 2, failed: 3, storageAtRisk: 4 } as const;

interface Options {
    readonly stack: string;
    readonly json: boolean;
    readonly base?: string;
    readonly dir: string;
    readonly out?: string;
    readonly firstPreview: boolean;
    readonly strict: boolean;
}

class UsageError extends Error { }

const USAGE = "usage: npm run plan -- --stack <name> [--json] [--base <git-ref>] [--dir <dir>] [--out <file>] [--first-preview] [--strict]";

function parseArgs(argv: readonly string[]): Options {
    let stack: string | undefined;
    let base: string | undefined;
    let out: string | undefined;
    let dir = process.cwd();
    let json = false;
    let firstPreview = false;
    let strict = false;
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
            case "--out": out = path.resolve(value()); break;
            case "--json": json = true; break;
            case "--first-preview": firstPreview = true; break;
            case "--strict": strict = true; break;
            default: throw new UsageError(`unknown argument ${argv[i]}\n${USAGE}`);
        }
    }
    if (!stack) throw new UsageError(`--stack is required\n${USAGE}`);
    if (base && json) throw new UsageError(`--base prints a Markdown summary; it does not combine with --json\n${USAGE}`);
    if (base && firstPreview) throw new UsageError(`--base compares deployed stacks; it does not combine with --first-preview\n${USAGE}`);
    return { stack, json, base, dir, out, firstPreview, strict };
}

/** The command line that runs this script again, through ts-node when it runs from source. */
export function planCommand(args: readonly string[]): { file: string; args: string[] } {
    const runner = __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
    return { file: process.execPath, args: [...runner, __filename, ...args] };
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

/** A plan as JSON, or why there is none: exit code and message. */
type Planned = { readonly plan: PlanJson } | { readonly code: number; readonly message: string };

/** Plans `stack` from `dir` in this process, as an update of what exists or as its first preview. */
async function planHere(stack: string, dir: string, firstPreview = false, strict = false): Promise<Planned> {
    // Loaded on first use: a usage error never loads the program.
    const { PlanFailure, runPlan } = await import("./planRun");
    let outcome: PlanOutcome;
    try {
        outcome = await runPlan(stack, dir, firstPreview ? "empty-cluster-preview" : "update", strict);
    } catch (error) {
        if (error instanceof PlanFailure) return { code: EXIT.failed, message: error.message };
        throw error;
    }
    return outcome.kind === "config-error" ? { code: EXIT.configError, message: outcome.message } : { plan: toPlanJson(outcome.plan) };
}

function verdict(plan: PlanJson): number {
    return countViolations(plan.violations).mandatory > 0 ? EXIT.violations : EXIT.ok;
}

/** Plans the stack now, then at `base`, and summarizes the difference. */
async function compareWithBase(options: Options & { base: string }): Promise<{ code: number; text: string }> {
    const baseFile = await stackFileAt(options.base, options.stack, options.dir);
    const head = await planHere(options.stack, options.dir, false, options.strict);
    if (!("plan" in head)) {
        return { code: head.code, text: `### Offline plan: ${options.stack}\n\nThe plan failed (exit ${head.code}):\n\n\`\`\`text\n${head.message.trim()}\n\`\`\`\n` };
    }
    let base: Planned | undefined;
    if (baseFile !== undefined) {
        const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-plan-base-"));
        try {
            fs.writeFileSync(path.join(baseDir, `Pulumi.${options.stack}.yaml`), baseFile);
            base = await planHere(options.stack, baseDir);
        } finally {
            fs.rmSync(baseDir, { recursive: true, force: true });
        }
    }
    const note = baseFile === undefined ? `Pulumi.${options.stack}.yaml does not exist at ${options.base}: everything is new.`
        : base && !("plan" in base) ? `The stack could not be planned at ${options.base} (exit ${base.code}), so everything shows as new:\n${base.message.trim()}`
            : undefined;
    const diff = diffPlans(base && "plan" in base ? base.plan : undefined, head.plan);
    // A violation wins: allowing data loss on purpose (the deploy workflow's override) must not let one through.
    const code = verdict(head.plan) === EXIT.ok && diff.alerts.length > 0 ? EXIT.storageAtRisk : verdict(head.plan);
    return { code, text: renderDiff(diff, head.plan, options.base, note) };
}

/**
 * The plan command without its process: exit code, the report, and an error for stderr. With `--out`,
 * the report is written to that file and `text` is empty.
 */
export async function plan(argv: readonly string[]): Promise<{ code: number; text: string; error?: string }> {
    let options: Options;
    try {
        options = parseArgs(argv);
    } catch (error) {
        if (error instanceof UsageError) return { code: EXIT.configError, text: "", error: error.message };
        throw error;
    }
    let result: { code: number; text: string; error?: string };
    if (options.base) {
        try {
            result = await compareWithBase({ ...options, base: options.base });
        } catch (error) {
            if (error instanceof UsageError) return { code: EXIT.configError, text: "", error: error.message };
            throw error;
        }
    } else {
        const planned = await planHere(options.stack, options.dir, options.firstPreview, options.strict);
        result = "plan" in planned
            ? { code: verdict(planned.plan), text: options.json ? renderJson(planned.plan) : renderText(planned.plan) }
            : { code: planned.code, text: "", error: planned.message };
    }
    if (options.out && result.text) {
        fs.writeFileSync(options.out, result.text);
        return { ...result, text: "" };
    }
    return result;
}

if (require.main === module) {
    // A rejection outside any run (a failed serialization) is a failed plan, not a verdict. During a run,
    // runPlan listens too and turns it into a PlanFailure, which a --base comparison reports and survives.
    process.on("unhandledRejection", error => {
        if (process.listenerCount("unhandledRejection") > 1) return;
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(EXIT.failed);
    });
    plan(process.argv.slice(2)).then(
        ({ code, text, error }) => {
            if (error) process.stderr.write(`${error}\n`);
            // Exit only once stdout is flushed: a large plan piped to another process would be cut short.
            process.stdout.write(text, () => process.exit(code));
        },
        (error: unknown) => {
            process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
            process.exit(EXIT.failed);
        });
}
