/**
 * The offline plan as CI runs it, on stack files in a temporary directory or a temporary git repository.
 *
 * Every case runs the plan command in this process (`plan(argv)`, what `npm run plan` calls), once, when
 * the first test needs it; the tests that read a case share its run, so one failing test hides no other.
 * Runs go one at a time (config and mocks are process-global), even when a test gives up waiting on one.
 * One test runs the real command in a subprocess, started with the suite so that it overlaps the other
 * runs, killed if it outlives its time and in `after()` whatever happened.
 */
import * as assert from "assert";
import { ChildProcess, execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { EXIT, plan, planCommand } from "../scripts/plan";
import { listStacks } from "../scripts/stackConfig";
import { PlanJson } from "../scripts/planReport";

interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

const ROOT = path.join(__dirname, "..");
// Shaped like the CLI's ciphertext (v1:<12-byte nonce>:<sealed>), which the stack file reader checks.
const CIPHERTEXT = "v1:AAAAAAAAAAAAAAAA:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LW5vdC1sZWFr";
const KUBECONFIG_CIPHERTEXT = "v1:AAAAAAAAAAAAAAAA:a3ViZWNvbmZpZy1jaXBoZXJ0ZXh0";

/** Runs one after another, in the order first asked for; each is started once and its result kept. */
class Runs {
    private last: Promise<unknown> = Promise.resolve();
    private readonly started = new Map<string, Promise<Run>>();

    constructor(private readonly cases: Readonly<Record<string, () => readonly string[]>>) { }

    get(name: string): Promise<Run> {
        let run = this.started.get(name);
        if (!run) {
            const argv = this.cases[name];
            if (!argv) throw new Error(`no plan case ${name}`);
            run = this.last.then(async () => {
                const { code, text, error } = await plan(argv());
                return { code, stdout: text, stderr: error ?? "" };
            });
            this.last = run.catch(() => undefined);
            this.started.set(name, run);
        }
        return run;
    }
}

type Config = Record<string, unknown>;

/** A hub logging in with GitHub, as the example stacks have them. */
function githubHub(cluster: string, extra: Config = {}): Config {
    return {
        cluster, contactEmail: "admins@example.org",
        auth: { type: "github", clientId: "Iv1.abc", allowedOrganizations: ["example-org"] }, ...extra,
    };
}

/** A stack file with secure values like the real files: every hub's client secret, and `kubeconfigs` for those clusters. */
function fleetFile(clusters: Config, hubs: Record<string, Config>, kubeconfigs: readonly string[] = []): string {
    return stringify({
        config: {
            "jupyterhub-fleet:clusters": clusters,
            ...(kubeconfigs.length > 0 ? {
                "jupyterhub-fleet:clusterSecrets": Object.fromEntries(kubeconfigs.map(key => [key, { kubeconfig: { secure: KUBECONFIG_CIPHERTEXT } }])),
            } : {}),
            "jupyterhub-fleet:hubs": hubs,
            "jupyterhub-fleet:hubSecrets": Object.fromEntries(Object.keys(hubs).map(key => [key, { auth: { clientSecret: { secure: CIPHERTEXT } } }])),
        },
    });
}

/** A stack on an existing cluster (the quickest platform to plan), each hub with a domain. */
function stackFile(hubs: Record<string, Config>, homePath = "/export/homes"): string {
    return fleetFile(
        { onprem: { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: homePath } } },
        Object.fromEntries(Object.entries(hubs).map(([key, extra]) => [key, githubHub("onprem", { domain: `${key}.hub.example.org`, ...extra })])),
        ["onprem"]);
}

/** An OVH cluster in the shape of the prod example's. */
function ovhCluster(vlanId: number, userFlavor: string, region = "GRA11", serviceName = "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a"): Config {
    return {
        provider: "ovh", serviceName, region, s3: { region: "gra" }, kubernetesVersion: "1.35",
        network: { vlanId, cidr: "10.0.0.0/16" },
        nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: userFlavor, minNodes: 1, maxNodes: 10 } },
        homeStorage: { type: "dynamic", size: "100Gi" },
    };
}

function awsCluster(region: string): Config {
    return {
        provider: "aws", region, kubernetesVersion: "1.33",
        network: { vpcCidr: "10.10.0.0/16", availabilityZones: [`${region}a`, `${region}b`] },
        nodePools: { core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 }, user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 } },
        homeStorage: { type: "efs" }, buckets: { scratch: { deleteAfterDays: 7 } },
    };
}

function gcpCluster(project: string, zone: string): Config {
    return {
        provider: "gcp", project, region: "us-central1", zone, kubernetesVersion: "1.33",
        nodePools: { core: { machineType: "n2-highmem-4", minNodes: 1, maxNodes: 3 }, user: { machineType: "n2-highmem-16", minNodes: 0, maxNodes: 40 } },
        homeStorage: { type: "filestore", tier: "BASIC_HDD", capacityGb: 2048 }, buckets: { scratch: { deleteAfterDays: 7 } },
    };
}

/** An existing cluster reached through a kubeconfig context, with users' homes as claims on a retaining class. */
function contextCluster(context: string): Config {
    return { provider: "kubernetes", context, homeStorage: { type: "dynamic", size: "10Gi", storageClass: "retained" } };
}

/** Stack files before and after the pull request, by stack name. */
const SCENARIOS: Record<string, readonly [string, string]> = {
    // The OVH private network's VLAN: the network is replaced, the cluster on it with its data, and so on.
    ovhNetwork: [
        fleetFile({ gfts: ovhCluster(0, "r3-32") }, { gfts: githubHub("gfts") }),
        fleetFile({ gfts: ovhCluster(12, "r3-32") }, { gfts: githubHub("gfts") }),
    ],
    // Another flavor for the user pool: the pool is replaced (its nodes), no data with it.
    ovhFlavor: [
        fleetFile({ gfts: ovhCluster(0, "r3-32") }, { gfts: githubHub("gfts") }),
        fleetFile({ gfts: ovhCluster(0, "r3-64") }, { gfts: githubHub("gfts") }),
    ],
    // Another OVH region and project: the cluster goes with them.
    ovhProject: [
        fleetFile({ gfts: ovhCluster(0, "r3-32") }, { gfts: githubHub("gfts") }),
        fleetFile({ gfts: ovhCluster(0, "r3-32", "SBG5", "0123456789abcdef0123456789abcdef") }, { gfts: githubHub("gfts") }),
    ],
    // Changes that go through a provider: AWS region, GCP project, GCP zone, kubeconfig context.
    providers: [
        fleetFile(
            { uw2: awsCluster("us-west-2"), exr: gcpCluster("example-research", "us-central1-b"), hpc: contextCluster("hpc-admin") },
            { research: githubHub("uw2", { domain: "research.hub.example.org" }), climate: githubHub("exr", { domain: "climate.hub.example.org" }), hpc: githubHub("hpc") }),
        fleetFile(
            { uw2: awsCluster("us-east-1"), exr: gcpCluster("example-research-2", "us-central1-c"), hpc: contextCluster("hpc-ops") },
            { research: githubHub("uw2", { domain: "research.hub.example.org" }), climate: githubHub("exr", { domain: "climate.hub.example.org" }), hpc: githubHub("hpc") }),
    ],
    // A removed hub's protected home and a policy violation: the violation's exit code wins.
    lossAndViolation: [
        stackFile({ research: {}, teaching: {} }),
        stackFile({ research: { values: { cull: { enabled: false } } } }),
    ],
    // One hub's homes move from Filestore to an nfs-server disk, another hub's nfs-server disk shrinks.
    homeStorage: [
        fleetFile(
            { exr: gcpCluster("example-research", "us-central1-b"),
                exh: { ...gcpCluster("example-homes", "us-central1-c"), homeStorage: { type: "nfs-server", sizeGb: 500 } } },
            { moved: githubHub("exr"), shrunk: githubHub("exh") }),
        fleetFile(
            { exr: { ...gcpCluster("example-research", "us-central1-b"), homeStorage: { type: "nfs-server", sizeGb: 500 } },
                exh: { ...gcpCluster("example-homes", "us-central1-c"), homeStorage: { type: "nfs-server", sizeGb: 300 } } },
            { moved: githubHub("exr"), shrunk: githubHub("exh") }),
    ],
    // A renamed cluster key, a renamed hub, a removed hub, none with renamedFrom.
    renames: [
        fleetFile(
            { onprem: { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" } }, lab: contextCluster("lab") },
            { research: githubHub("onprem"), class: githubHub("lab"), workshop: githubHub("lab") }, ["onprem"]),
        fleetFile(
            { campus: { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" } }, lab: contextCluster("lab") },
            { research: githubHub("campus"), course: githubHub("lab") }, ["campus"]),
    ],
};

/** `npm run plan` as CI runs it, in a subprocess killed if it outlives its time (ts-node compiles the program first). */
function startPlan(args: readonly string[]): { readonly child: ChildProcess; readonly done: Promise<Run> } {
    const command = planCommand(args);
    let child!: ChildProcess;
    const done = new Promise<Run>(resolve => {
        child = execFile(command.file, command.args, { cwd: ROOT, maxBuffer: 1 << 28, timeout: 110000, killSignal: "SIGKILL" },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? EXIT.failed) : 0, stdout, stderr }));
    });
    return { child, done };
}

function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function git(dir: string, ...args: string[]): void {
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
}

describe("offline plan (npm run plan)", function () {
    // A case waits for the runs queued before it; a few seconds each on an idle machine.
    this.timeout(120000);
    let stacks: string, repo: string, outFile: string;
    let realCommand: { readonly child: ChildProcess; readonly done: Promise<Run> } | undefined;
    const exampleStacks = listStacks(ROOT);

    const runs = new Runs({
        clean: () => ["--stack", "clean", "--dir", stacks, "--json"],
        cleanAgain: () => ["--stack", "clean", "--dir", stacks, "--json"],
        cleanToFile: () => ["--stack", "clean", "--dir", stacks, "--json", "--out", outFile],
        violation: () => ["--stack", "culled", "--dir", stacks],
        configError: () => ["--stack", "broken", "--dir", stacks],
        missing: () => ["--stack", "nowhere", "--dir", stacks],
        usage: () => ["--stack", "clean", "--jsn"],
        base: () => ["--stack", "fleet", "--dir", repo, "--base", "HEAD~1"],
        newStack: () => ["--stack", "added", "--dir", repo, "--base", "HEAD~1"],
        shrunk: () => ["--stack", "shrink", "--dir", repo, "--base", "HEAD~1"],
        unchanged: () => ["--stack", "same", "--dir", repo, "--base", "HEAD~1"],
        stranded: () => ["--stack", "stranded", "--dir", stacks],
        strandedStrict: () => ["--stack", "stranded", "--dir", stacks, "--strict"],
        ...Object.fromEntries(Object.keys(SCENARIOS).map(stack => [stack, () => ["--stack", stack, "--dir", repo, "--base", "HEAD~1"]])),
        ...Object.fromEntries(exampleStacks.map(stack => [`example:${stack}`, () => ["--stack", stack, "--dir", ROOT]])),
        ...Object.fromEntries(exampleStacks.map(stack => [`first-preview:${stack}`, () => ["--stack", stack, "--dir", ROOT, "--first-preview"]])),
    });

    before(() => {
        stacks = tempDir("fleet-plan-test-");
        outFile = path.join(stacks, "plan.json");
        fs.writeFileSync(path.join(stacks, "Pulumi.clean.yaml"), stackFile({ research: {} }));
        // Started first, so its ts-node start-up (about 10 s of CPU) overlaps the in-process runs.
        realCommand = startPlan(["--stack", "clean", "--dir", stacks, "--json"]);
        fs.writeFileSync(path.join(stacks, "Pulumi.culled.yaml"), stackFile({ research: { values: { cull: { enabled: false } } } }));
        fs.writeFileSync(path.join(stacks, "Pulumi.broken.yaml"), stackFile({ research: { cluster: "nowhere" } }));
        // A group member the only hub on the cluster does not list: a typo'd or departed login.
        fs.writeFileSync(path.join(stacks, "Pulumi.stranded.yaml"), fleetFile({
            gfts: {
                ...ovhCluster(12, "r3-32"), buckets: { data: {} },
                accessGroups: { default: { read: ["data"] }, vliz: { members: ["davidcasalsvliz", "annefou"], write: ["data"] } },
            },
        }, { gfts: githubHub("gfts", { auth: { type: "github", clientId: "Iv1.abc", allowedUsers: ["annefou"] } }) }));

        // Two commits: the second adds a hub, changes a value, moves the home export (which replaces the
        // protected PV), removes a hub, and adds a stack.
        repo = tempDir("fleet-plan-git-");
        git(repo, "init", "--quiet", "--initial-branch=main");
        fs.writeFileSync(path.join(repo, "Pulumi.fleet.yaml"), stackFile({ research: {} }));
        fs.writeFileSync(path.join(repo, "Pulumi.shrink.yaml"), stackFile({ research: {}, teaching: {} }));
        fs.writeFileSync(path.join(repo, "Pulumi.same.yaml"), stackFile({ research: {} }));
        for (const [stack, [before]] of Object.entries(SCENARIOS)) fs.writeFileSync(path.join(repo, `Pulumi.${stack}.yaml`), before);
        git(repo, "add", ".");
        git(repo, "commit", "--quiet", "-m", "base");
        fs.writeFileSync(path.join(repo, "Pulumi.shrink.yaml"), stackFile({ research: {} }));
        fs.writeFileSync(path.join(repo, "Pulumi.fleet.yaml"),
            stackFile({ research: { values: { cull: { timeout: 7200 } } }, teaching: {} }, "/export/homes2"));
        fs.writeFileSync(path.join(repo, "Pulumi.added.yaml"), stackFile({ research: {} }));
        for (const [stack, [, after]] of Object.entries(SCENARIOS)) fs.writeFileSync(path.join(repo, `Pulumi.${stack}.yaml`), after);
        git(repo, "add", ".");
        git(repo, "commit", "--quiet", "-m", "head");
    });

    after(() => {
        // Whatever happened, no plan process outlives the suite.
        const child = realCommand?.child;
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        for (const dir of [stacks, repo]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("exits 0 on a clean stack and prints JSON: resources by URN with parents, outputs, violations", async () => {
        const clean = await runs.get("clean");
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
        assert.strictEqual((json.outputs as any).kubeconfigs, "[secret]");
        assert.strictEqual(clean.stdout, `${JSON.stringify(json, null, 2)}\n`, "keys are already sorted");
    });

    it("shows no secure value, placeholder or ciphertext anywhere in the JSON", async () => {
        const clean = await runs.get("clean");
        for (const needle of [CIPHERTEXT, KUBECONFIG_CIPHERTEXT, "[secret hubSecrets", "[secret clusterSecrets", "placeholder"]) {
            assert.ok(!clean.stdout.includes(needle), `JSON output contains ${needle}`);
        }
    });

    it("--out writes the same JSON to a file and nothing to stdout", async () => {
        const [clean, toFile] = [await runs.get("clean"), await runs.get("cleanToFile")];
        assert.strictEqual(toFile.code, EXIT.ok, toFile.stderr);
        assert.strictEqual(toFile.stdout, "");
        assert.strictEqual(fs.readFileSync(outFile, "utf8"), clean.stdout);
    });

    it("plans the same stack alike after other stacks in the same process (nothing leaks between runs)", async () => {
        const first = await runs.get("clean");
        for (const stack of exampleStacks) await runs.get(`example:${stack}`);
        const again = await runs.get("cleanAgain");
        assert.strictEqual(again.stdout, first.stdout);
    });

    it("exits 1 on a mandatory violation and names the rule and the fix", async () => {
        const violation = await runs.get("violation");
        assert.strictEqual(violation.code, EXIT.violations, violation.stderr);
        assert.match(violation.stdout, /hub research: Namespace, .*Release jupyterhub 4\.4\.2/);
        assert.match(violation.stdout, /mandatory z2jh-culler-on: .*"research-release".*remove cull\.enabled: false from hubs\.research\.values/);
        assert.match(violation.stdout, /BLOCKED: 1 mandatory policy violation/);
    });

    it("exits 2 on a config error and prints every problem", async () => {
        const configError = await runs.get("configError");
        assert.strictEqual(configError.code, EXIT.configError, configError.stdout);
        assert.match(configError.stderr, /hubs\.research\.cluster: no cluster "nowhere" is defined/);
        assert.strictEqual(configError.stdout, "");
    });

    it("exits 2 on a usage error, with the usage", async () => {
        const usage = await runs.get("usage");
        assert.strictEqual(usage.code, EXIT.configError);
        assert.match(usage.stderr, /unknown argument --jsn\nusage: npm run plan -- --stack <name>/);
    });

    it("exits 2 when the stack file does not exist, naming the stacks that do", async () => {
        const missing = await runs.get("missing");
        assert.strictEqual(missing.code, EXIT.configError, missing.stderr);
        assert.match(missing.stderr, /Pulumi\.nowhere\.yaml does not exist \(stacks here: broken, clean, culled, stranded\)/);
    });

    it("--base lists adds, changes with their paths and removes per hub, and exits 4 on a protected replacement", async () => {
        const base = await runs.get("base");
        assert.strictEqual(base.code, EXIT.storageAtRisk, base.stderr);
        assert.match(base.stdout, /^### Offline plan: fleet \(compared with HEAD~1\)/);
        assert.match(base.stdout, /- \*\*hub teaching\*\*: adds .*Release teaching-release/);
        assert.match(base.stdout, /- \*\*hub research\*\*: changes .*Release research-release \(values\.cull\.timeout[,)]/);
        assert.match(base.stdout, /replaces PersistentVolume research-home \(changed spec\.nfs\.path\)/);
        assert.match(base.stdout, /:warning: replaces protected PersistentVolume "research-home" \(changed spec\.nfs\.path\)/);
        assert.ok(!base.stdout.includes("removes"), base.stdout);
        for (const needle of [CIPHERTEXT, "[secret hubSecrets"]) assert.ok(!base.stdout.includes(needle));
    });

    it("--base lists a removed hub's resources and exits 4 on the deletion of its protected home", async () => {
        const shrunk = await runs.get("shrunk");
        assert.strictEqual(shrunk.code, EXIT.storageAtRisk, shrunk.stderr);
        assert.match(shrunk.stdout, /- \*\*hub teaching\*\*: removes .*Release teaching-release/);
        assert.match(shrunk.stdout, /:warning: deletes protected PersistentVolume "teaching-home" .*pulumi up will refuse/);
        assert.match(shrunk.stdout, /:warning: deletes protected PersistentVolumeClaim "teaching-home-claim"/);
    });

    it("--base exits 4 on a hub moved to another home storage type, and on a shrinking nfs-server volume, with the runbook", async () => {
        const run = await runs.get("homeStorage");
        assert.strictEqual(run.code, EXIT.storageAtRisk, run.stderr);
        assert.match(run.stdout, /:warning: hub moved: home storage changes from nfs to nfs-server, .*docs\/homes\.md, "Moving a hub to another home storage type"/);
        assert.match(run.stdout, /:warning: hub shrunk: homeStorage\.sizeGb shrinks from 500 to 300, .*keep sizeGb at 500 or more/);
    });

    it("--base exits 1, not 4, when a violation comes with stored data at risk (allowing a deletion never lets a violation through)", async () => {
        const run = await runs.get("lossAndViolation");
        assert.strictEqual(run.code, EXIT.violations, run.stderr);
        assert.match(run.stdout, /:warning: deletes protected PersistentVolume "teaching-home"/);
        assert.match(run.stdout, /:x: z2jh-culler-on: /);
    });

    it("--base exits 0 when nothing changed", async () => {
        const unchanged = await runs.get("unchanged");
        assert.strictEqual(unchanged.code, EXIT.ok, unchanged.stderr);
        assert.match(unchanged.stdout, /No resource changes\./);
    });

    it("--base shows a stack that is new in the pull request as all added", async () => {
        const newStack = await runs.get("newStack");
        assert.strictEqual(newStack.code, EXIT.ok, newStack.stderr);
        assert.match(newStack.stdout, /Pulumi\.added\.yaml does not exist at HEAD~1: everything is new/);
        assert.match(newStack.stdout, /- \*\*hub research\*\*: adds /);
    });

    describe("--base and what the engine will replace", () => {
        // scripts/replacements.json (from the SDKs' docs) says which inputs replace a resource; a replaced
        // resource's computed outputs are unknown, so what is built from them is replaced too.
        it("flags an OVH VLAN change: the network, the cluster on it with its ETCD data, its pools, and every Kubernetes object on it", async () => {
            const run = await runs.get("ovhNetwork");
            assert.strictEqual(run.code, EXIT.storageAtRisk, run.stderr + run.stdout);
            assert.match(run.stdout, /- \*\*cluster gfts \(ovh\)\*\*: replaces .*NetworkPrivate gfts-network \(changed vlanId\)/);
            assert.match(run.stdout, /:warning: replaces protected Kube "gfts-kube" \(privateNetworkId comes from NetworkPrivate "gfts-network", which is replaced\): the cluster and everything on it, including ETCD user data/);
            assert.match(run.stdout, /KubeNodePool gfts-pool-user \(kubeId comes from Kube "gfts-kube", which is replaced\)/);
            assert.match(run.stdout, /:warning: replaces Provider\(kubernetes\) "gfts-k8s" \(clusterIdentifier comes from Kube "gfts-kube", which is replaced\): every resource it manages/);
            assert.match(run.stdout, /:warning: replaces Namespace "gfts-namespace" \(its provider Provider\(kubernetes\) "gfts-k8s" is replaced\): every object in the namespace: users' home volume claims and the hub database/);
            assert.ok(!/replaces (User|S3Credential|S3Policy) /.test(run.stdout), "object storage users do not depend on the network");
        });

        it("flags another OVH region or project: the cluster and its data", async () => {
            const run = await runs.get("ovhProject");
            assert.strictEqual(run.code, EXIT.storageAtRisk, run.stderr + run.stdout);
            assert.match(run.stdout, /:warning: replaces protected Kube "gfts-kube" \(changed [^)]*region, serviceName\): the cluster and everything on it, including ETCD user data/);
            assert.match(run.stdout, /replaces .*NetworkPrivate gfts-network \(changed serviceName\)/);
            assert.match(run.stdout, /:warning: replaces Namespace "gfts-namespace" .*users' home volume claims/);
        });

        it("replaces an OVH pool whose flavor changes, and exits 0: nodes are not data", async () => {
            const run = await runs.get("ovhFlavor");
            assert.strictEqual(run.code, EXIT.ok, run.stderr + run.stdout);
            const summary = run.stdout.slice(0, run.stdout.indexOf("<details>"));
            assert.match(summary, /- \*\*cluster gfts \(ovh\)\*\*: replaces KubeNodePool gfts-pool-user \(changed flavorName\)\n/);
            assert.ok(!summary.includes("gfts-pool-core") && !summary.includes("Stored data at risk"), summary);
        });

        it("flags changes that go through a provider: AWS region, GCP project and zone, kubeconfig context", async () => {
            const run = await runs.get("providers");
            assert.strictEqual(run.code, EXIT.storageAtRisk, run.stderr + run.stdout);
            const alerts = run.stdout.split("\n").filter(line => line.startsWith("- :warning:"));
            const alert = (pattern: RegExp) => assert.ok(alerts.some(line => pattern.test(line)), `no alert ${pattern}:\n${alerts.join("\n")}`);
            alert(/replaces Provider\(aws\) "uw2-aws" \(changed region\)/);
            // Clusters are protected by default (deletionProtection), so their replacement is one pulumi up refuses.
            alert(/replaces protected eks\.Cluster "uw2-eks" \(its provider Provider\(aws\) "uw2-aws" is replaced\): the EKS cluster and everything on it: pulumi up will refuse/);
            alert(/replaces protected FileSystem "uw2-homes-fs" \(its provider Provider\(aws\) "uw2-aws" is replaced\): pulumi up will refuse/);
            alert(/replaces protected s3\.Bucket "uw2-buckets-scratch" \(its provider/);
            alert(/replaces protected container\.Cluster "exr-cluster" \(its provider Provider\(gcp\) "exr-gcp" is replaced\): the GKE cluster and everything on it: pulumi up will refuse/);
            alert(/replaces Provider\(gcp\) "exr-gcp" \(changed project\)/);
            alert(/replaces protected Instance "exr-home-filestore" \(changed location\)/);
            alert(/replaces Provider\(kubernetes\) "hpc-k8s" \(changed clusterIdentifier\)/);
            alert(/replaces Namespace "hpc-namespace" \(its provider Provider\(kubernetes\) "hpc-k8s" is replaced\): every object in the namespace: users' home volume claims/);
        });

        it("flags a renamed cluster key, a renamed and a removed hub with dynamic homes, and points to renamedFrom", async () => {
            const run = await runs.get("renames");
            assert.strictEqual(run.code, EXIT.storageAtRisk, run.stderr + run.stdout);
            assert.match(run.stdout, /:warning: replaces protected PersistentVolume "research-home" \(it moves from provider Provider\(kubernetes\) "onprem-k8s" to Provider\(kubernetes\) "campus-k8s", whose clusterIdentifier differs\): pulumi up will refuse; .*\(if clusters\.campus is onprem renamed, set clusters\.campus\.renamedFrom: onprem\)/);
            assert.match(run.stdout, /:warning: deletes Namespace "workshop-namespace": every object in the namespace: users' home volume claims and the hub database/);
            assert.match(run.stdout, /:warning: deletes Namespace "class-namespace": .*hubs\.course\.renamedFrom: class/);
            assert.match(run.stdout, /\*\*Renamed\?\*\*\n(- .*\n)*- if clusters\.campus is onprem renamed, set clusters\.campus\.renamedFrom: onprem to keep every resource\n/);
            assert.match(run.stdout, /\*\*Renamed\?\*\*\n(- .*\n)*- if hubs\.course is class renamed, set hubs\.course\.renamedFrom: class to keep every resource\n/);
        });
    });

    for (const stack of exampleStacks) {
        it(`plans the example stack ${stack} clean: no config error, no policy violation`, async () => {
            const run = await runs.get(`example:${stack}`);
            assert.strictEqual(run.code, EXIT.ok, `${stack}: ${run.stderr}\n${run.stdout.slice(-2000)}`);
            assert.match(run.stdout, /Policy: 0 mandatory, 0 advisory violations/, stack);
        });
    }

    it("warns about an access-group member no hub admits, and fails on it under --strict as CI runs it", async () => {
        const [warned, strict] = [await runs.get("stranded"), await runs.get("strandedStrict")];
        const message = /advisory +plan:access-group-logins: clusters\.gfts\.accessGroups\.vliz: davidcasalsvliz cannot log into any hub on cluster gfts/;
        assert.strictEqual(warned.code, EXIT.ok, warned.stderr + warned.stdout);
        assert.match(warned.stdout, message);
        assert.ok(!warned.stdout.includes("annefou cannot"), "a listed member is not reported");
        assert.strictEqual(strict.code, EXIT.violations, strict.stderr + strict.stdout);
        assert.match(strict.stdout, /mandatory +plan:access-group-logins: /);
    });

    for (const stack of exampleStacks) {
        it(`plans the first preview of example stack ${stack}, on clusters where nothing exists yet, clean`, async () => {
            const run = await runs.get(`first-preview:${stack}`);
            assert.strictEqual(run.code, EXIT.ok, `${stack}: ${run.stderr}\n${run.stdout.slice(-2000)}`);
            assert.match(run.stdout, /Policy: 0 mandatory, 0 advisory violations/, stack);
        });
    }

    it("has the example stacks the README documents", () => {
        assert.deepStrictEqual(exampleStacks, ["local", "prod", "staging"]);
    });

    it("runs as the real command in a subprocess: exits 0 and writes exactly the in-process JSON to stdout", async () => {
        const [run, expected] = await Promise.all([realCommand!.done, runs.get("clean")]);
        assert.strictEqual(run.code, EXIT.ok, run.stderr);
        assert.strictEqual(run.stdout, expected.stdout);
    });
});
