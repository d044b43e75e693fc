/**
 * The offline plan as CI runs it: a subprocess per plan (config and mocks are process-global), on stack
 * files in a temporary directory or a temporary git repository. All plans start at once in `before()`:
 * each is a few seconds of ts-node, and running them side by side keeps `npm test` short.
 */
import * as assert from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { EXIT, planCommand } from "../scripts/plan";
import { listStacks } from "../scripts/stackConfig";
import { PlanJson } from "../scripts/planReport";

interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

function plan(args: readonly string[]): Promise<Run> {
    const command = planCommand(args);
    return new Promise(resolve => execFile(command.file, command.args, { cwd: path.join(__dirname, ".."), maxBuffer: 1 << 28 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr })));
}

const CIPHERTEXT = "v1:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LW5vdC1sZWFr";
const KUBECONFIG_CIPHERTEXT = "v1:a3ViZWNvbmZpZy1jaXBoZXJ0ZXh0";

/** A stack on an existing cluster (the quickest platform to plan), with secure values like the real files. */
function stackFile(hubs: Record<string, Record<string, unknown>>, homePath = "/export/homes"): string {
    return stringify({
        config: {
            "jupyterhub-fleet:clusters": {
                onprem: { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: homePath } },
            },
            "jupyterhub-fleet:clusterSecrets": { onprem: { kubeconfig: { secure: KUBECONFIG_CIPHERTEXT } } },
            "jupyterhub-fleet:hubs": Object.fromEntries(Object.entries(hubs).map(([key, extra]) => [key, {
                cluster: "onprem", domain: `${key}.hub.example.org`, contactEmail: "admins@example.org",
                auth: { type: "github", clientId: "Iv1.abc", allowedOrganizations: ["example-org"] }, ...extra,
            }])),
            "jupyterhub-fleet:hubSecrets": Object.fromEntries(Object.keys(hubs).map(key => [key, { auth: { clientSecret: { secure: CIPHERTEXT } } }])),
        },
    });
}

function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function git(dir: string, ...args: string[]): void {
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
}

describe("offline plan (npm run plan)", function () {
    this.timeout(60000);
    const dirs: string[] = [];
    let clean: Run, violation: Run, configError: Run, missing: Run, base: Run, newStack: Run, shrunk: Run;
    let examples: Record<string, Run>;

    before(async () => {
        const stacks = tempDir("fleet-plan-test-");
        dirs.push(stacks);
        fs.writeFileSync(path.join(stacks, "Pulumi.clean.yaml"), stackFile({ research: {} }));
        fs.writeFileSync(path.join(stacks, "Pulumi.culled.yaml"), stackFile({ research: { values: { cull: { enabled: false } } } }));
        fs.writeFileSync(path.join(stacks, "Pulumi.broken.yaml"), stackFile({ research: { cluster: "nowhere" } }));

        // Two commits: the second adds a hub, changes a value, moves the home export (which replaces the
        // protected PV) and adds a stack.
        const repo = tempDir("fleet-plan-git-");
        dirs.push(repo);
        git(repo, "init", "--quiet", "--initial-branch=main");
        fs.writeFileSync(path.join(repo, "Pulumi.fleet.yaml"), stackFile({ research: {} }));
        fs.writeFileSync(path.join(repo, "Pulumi.shrink.yaml"), stackFile({ research: {}, teaching: {} }));
        git(repo, "add", ".");
        git(repo, "commit", "--quiet", "-m", "base");
        fs.writeFileSync(path.join(repo, "Pulumi.shrink.yaml"), stackFile({ research: {} }));
        fs.writeFileSync(path.join(repo, "Pulumi.fleet.yaml"),
            stackFile({ research: { values: { cull: { timeout: 7200 } } }, teaching: {} }, "/export/homes2"));
        fs.writeFileSync(path.join(repo, "Pulumi.added.yaml"), stackFile({ research: {} }));
        git(repo, "add", ".");
        git(repo, "commit", "--quiet", "-m", "head");

        const exampleStacks = listStacks(path.join(__dirname, ".."));
        let exampleRuns: Run[];
        [[clean, violation, configError, missing, base, newStack, shrunk], exampleRuns] = await Promise.all([Promise.all([
            plan(["--stack", "clean", "--dir", stacks, "--json"]),
            plan(["--stack", "culled", "--dir", stacks]),
            plan(["--stack", "broken", "--dir", stacks]),
            plan(["--stack", "nowhere", "--dir", stacks]),
            plan(["--stack", "fleet", "--dir", repo, "--base", "HEAD~1"]),
            plan(["--stack", "added", "--dir", repo, "--base", "HEAD~1"]),
            plan(["--stack", "shrink", "--dir", repo, "--base", "HEAD~1"]),
        ]), Promise.all(exampleStacks.map(stack => plan(["--stack", stack])))]);
        examples = Object.fromEntries(exampleStacks.map((stack, i) => [stack, exampleRuns[i]]));
    });

    after(() => {
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("exits 0 on a clean stack and prints JSON: resources by URN with parents, outputs, violations", () => {
        assert.strictEqual(clean.code, EXIT.ok, clean.stderr);
        const json = JSON.parse(clean.stdout) as PlanJson;
        assert.strictEqual(json.stack, "clean");
        assert.deepStrictEqual(json.violations, []);
        const urns = json.resources.map(r => r.urn);
        assert.deepStrictEqual(urns, [...urns].sort(), "resources are sorted by URN");
        const release = json.resources.find(r => r.type === "kubernetes:helm.sh/v3:Release")!;
        assert.strictEqual(release.urn, "urn:pulumi:clean::jupyterhub-fleet::jupyterhub:hub:Hub$kubernetes:helm.sh/v3:Release::research-release");
        assert.strictEqual(release.parent, "urn:pulumi:clean::jupyterhub-fleet::jupyterhub:hub:Hub::research");
        assert.strictEqual(release.inputs.version, "4.4.2");
        assert.strictEqual((release.inputs.values as any).cull.enabled, true);
        assert.strictEqual(release.inputs.valueYamlFiles, undefined);
        assert.strictEqual((release.inputs.values as any).hub.cookieSecret, "[secret]", "secret leaves show as [secret]");
        assert.strictEqual((release.inputs.values as any).hub.config.GitHubOAuthenticator.client_secret, "[secret]");
        const pv = json.resources.find(r => r.type === "kubernetes:core/v1:PersistentVolume")!;
        assert.strictEqual(pv.protect, true);
        assert.ok(json.resources.some(r => r.urn.startsWith("urn:pulumi:clean::jupyterhub-fleet::jupyterhub:kubernetes:Cluster$")));
        assert.strictEqual((json.outputs as any).clusters.onprem.kubeconfig, "[secret]");
        assert.strictEqual(clean.stdout, `${JSON.stringify(json, null, 2)}\n`, "keys are already sorted");
    });

    it("shows no secure value, placeholder or ciphertext anywhere in the JSON", () => {
        for (const needle of [CIPHERTEXT, KUBECONFIG_CIPHERTEXT, "[secret hubSecrets", "[secret clusterSecrets", "placeholder"]) {
            assert.ok(!clean.stdout.includes(needle), `JSON output contains ${needle}`);
        }
    });

    it("exits 1 on a mandatory violation and names the rule and the fix", () => {
        assert.strictEqual(violation.code, EXIT.violations, violation.stderr);
        assert.match(violation.stdout, /hub research: Namespace, .*Release jupyterhub 4\.4\.2/);
        assert.match(violation.stdout, /mandatory z2jh-culler-on: .*"research-release".*remove cull\.enabled: false from hubs\.research\.values/);
        assert.match(violation.stdout, /BLOCKED: 1 mandatory policy violation/);
    });

    it("exits 2 on a config error and prints every problem", () => {
        assert.strictEqual(configError.code, EXIT.configError, configError.stdout);
        assert.match(configError.stderr, /hubs\.research\.cluster: no cluster "nowhere" is defined/);
        assert.strictEqual(configError.stdout, "");
    });

    it("--base lists adds, changes with their paths and removes per hub, and flags a protected replacement", () => {
        assert.strictEqual(base.code, EXIT.ok, base.stderr);
        assert.match(base.stdout, /^### Offline plan: fleet \(compared with HEAD~1\)/);
        assert.match(base.stdout, /- \*\*hub teaching\*\*: adds .*Release teaching-release/);
        assert.match(base.stdout, /- \*\*hub research\*\*: changes .*Release research-release \(values\.cull\.timeout\)/);
        assert.match(base.stdout, /changes PersistentVolume research-home \(spec\.nfs\.path\)/);
        assert.match(base.stdout, /:warning: replaces protected PersistentVolume "research-home" \(changed spec\.nfs\.path\)/);
        assert.ok(!base.stdout.includes("removes"), base.stdout);
        for (const needle of [CIPHERTEXT, "[secret hubSecrets"]) assert.ok(!base.stdout.includes(needle));
    });

    it("exits 2 when the stack file does not exist, naming the stacks that do", () => {
        assert.strictEqual(missing.code, EXIT.configError, missing.stderr);
        assert.match(missing.stderr, /Pulumi\.nowhere\.yaml does not exist \(stacks here: broken, clean, culled\)/);
    });

    it("--base lists a removed hub's resources and flags the deletion of its protected home", () => {
        assert.strictEqual(shrunk.code, EXIT.ok, shrunk.stderr);
        assert.match(shrunk.stdout, /- \*\*hub teaching\*\*: removes .*Release teaching-release/);
        assert.match(shrunk.stdout, /:warning: deletes protected PersistentVolume "teaching-home" .*pulumi up will refuse/);
        assert.match(shrunk.stdout, /:warning: deletes protected PersistentVolumeClaim "teaching-home-claim"/);
    });

    it("plans every example stack clean: no config error, no policy violation", () => {
        assert.deepStrictEqual(Object.keys(examples), ["local", "prod", "staging"]);
        for (const [stack, run] of Object.entries(examples)) {
            assert.strictEqual(run.code, EXIT.ok, `${stack}: ${run.stderr}\n${run.stdout.slice(-2000)}`);
            assert.match(run.stdout, /Policy: 0 mandatory, 0 advisory violations/, stack);
        }
    });

    it("--base shows a stack that is new in the pull request as all added", () => {
        assert.strictEqual(newStack.code, EXIT.ok, newStack.stderr);
        assert.match(newStack.stdout, /Pulumi\.added\.yaml does not exist at HEAD~1: everything is new/);
        assert.match(newStack.stdout, /- \*\*hub research\*\*: adds /);
    });
});
