/**
 * `npm run bench [-- --hubs <n>[,<n>…]]`: how the offline plan scales. Plans synthetic fleets of 25, 100 and
 * 400 hubs (or the sizes given, e.g. `npm run bench -- --hubs 25` for one quick size) spread over
 * clusters on every platform, each in a fresh process, both through ts-node and precompiled with tsc (to
 * bin/). Two baselines give the SDK's own cost: "sdk" registers the plan's cloud resources again, flat,
 * through the providers' own classes with the same inputs and mocked outputs (what these resources cost the
 * SDK, without our components, outputs and checks); "bare" registers as many plain three-input resources.
 * Not part of `npm test`.
 *
 * Each child reports its own figures: the time from before the program is loaded to the end of the plan,
 * and its peak RSS; the parent adds the process's wall time (start-up and TypeScript compilation included).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

const HUB_COUNTS = [25, 100, 400];
const USAGE = "usage: npm run bench [-- --hubs <n>[,<n>...]]";

/** The fleet sizes to plan: `--hubs 25` or `--hubs 25,100` (repeatable), every default size without it. */
export function benchSizes(argv: readonly string[]): number[] {
    const sizes: number[] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] !== "--hubs") throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
        const value = argv[++i] ?? "";
        const parsed = value.split(",").map(Number);
        if (!/^\d+(,\d+)*$/.test(value) || parsed.some(n => n < 1)) throw new Error(`--hubs takes positive whole numbers, not "${value}"\n${USAGE}`);
        sizes.push(...parsed);
    }
    return sizes.length > 0 ? sizes : HUB_COUNTS;
}
const STACK = "bench";
const ROOT = path.resolve(__dirname, __filename.endsWith(".ts") ? ".." : "../..");
/** Hubs per cluster: roughly a real cluster's load, so clusters grow with the fleet as they would. */
const HUBS_PER_CLUSTER = 25;
const PLATFORMS = ["aws", "gcp", "ovh", "kubernetes"] as const;

/** What a child reports. */
interface Measure {
    /** Loading the program and planning, in the child. */
    readonly ms: number;
    /** Managed resources registered. */
    readonly resources: number;
    /** Peak resident set size of the child, in MB. */
    readonly rssMb: number;
}

function cluster(platform: typeof PLATFORMS[number], key: string, index: number): Record<string, unknown> {
    const pools = {
        core: { machineType: "m-core", minNodes: 1, maxNodes: 2 },
        user: { machineType: "m-user", minNodes: 0, maxNodes: 10 },
    };
    switch (platform) {
        case "aws":
            return {
                provider: "aws", region: "us-west-2", kubernetesVersion: "1.33", nodePools: pools, homeStorage: { type: "efs" },
                network: { vpcCidr: `10.${index % 250}.0.0/16`, availabilityZones: ["us-west-2a", "us-west-2b"] },
                buckets: { scratch: { deleteAfterDays: 7 } },
            };
        case "gcp":
            return {
                provider: "gcp", project: "bench-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
                nodePools: pools, homeStorage: { type: "filestore" }, buckets: { scratch: { deleteAfterDays: 7 } },
            };
        case "ovh":
            return {
                provider: "ovh", serviceName: "0123456789abcdef0123456789abcdef", region: "GRA11", kubernetesVersion: "1.34",
                s3: { region: "gra" }, network: { vlanId: 1 + index % 4000 },
                nodePools: pools, homeStorage: { type: "dynamic", size: "10Gi" },
                buckets: { scratch: { name: `${key}-scratch` }, shared: { name: `${key}-shared` } },
                accessGroups: { default: { read: ["shared"] }, admins: { members: [`${key}-admin`], admin: true } },
            };
        case "kubernetes":
            return { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" } };
    }
}

/** A stack file with `hubs` hubs over ceil(hubs / 25) clusters (at least one per platform), round robin. */
export function syntheticStack(hubs: number): string {
    const clusterCount = Math.max(PLATFORMS.length, Math.ceil(hubs / HUBS_PER_CLUSTER));
    const clusters = Object.fromEntries(Array.from({ length: clusterCount }, (_, i) => {
        const platform = PLATFORMS[i % PLATFORMS.length];
        const key = `${platform[0]}${i}`;
        return [key, cluster(platform, key, i)];
    }));
    const clusterKeys = Object.keys(clusters);
    const hubEntries = Array.from({ length: hubs }, (_, i) => {
        const clusterKey = clusterKeys[i % clusterKeys.length];
        const provider = (clusters[clusterKey] as { provider: string }).provider;
        // AWS and GCP grant bucket access per hub; OVH through its access groups; existing clusters have no buckets here.
        const access = provider === "aws" || provider === "gcp"
            ? { cloudAccess: { bucketAdminAccess: ["scratch"] }, bucketEnv: { SCRATCH_BUCKET: "scratch" } }
            : provider === "ovh" ? { bucketEnv: { SCRATCH_BUCKET: "scratch" } } : {};
        return [`hub${i}`, {
            cluster: clusterKey, domain: `hub${i}.example.org`, contactEmail: "admins@example.org",
            auth: { type: "github", clientId: `Iv1.bench${i}`, allowedOrganizations: ["example-org"] }, ...access,
        }] as const;
    });
    return stringify({
        config: {
            "jupyterhub-fleet:clusters": clusters,
            "jupyterhub-fleet:clusterSecrets": Object.fromEntries(clusterKeys.filter(k => k.startsWith("k"))
                .map(k => [k, { kubeconfig: { secure: "v1:AAAAAAAAAAAAAAAA:YmVuY2gta3ViZWNvbmZpZw==" } }])),
            "jupyterhub-fleet:hubs": Object.fromEntries(hubEntries),
            "jupyterhub-fleet:hubSecrets": Object.fromEntries(hubEntries.map(([key]) => [key, { auth: { clientSecret: { secure: "v1:AAAAAAAAAAAAAAAA:YmVuY2gtY2xpZW50LXNlY3JldA==" } } }])),
        },
    });
}

/** What the payload-matched SDK run replays: one planned cloud resource, as the mocks saw it. */
interface Replay {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
}

/** Child: plan the stack in `dir`; its cloud resources go to `replayFile` for the SDK run. */
async function planChild(dir: string, replayFile: string): Promise<Measure> {
    const start = process.hrtime.bigint();
    const { runPlan } = await import("./planRun");
    const outcome = await runPlan(STACK, dir);
    if (outcome.kind !== "plan") throw new Error(outcome.message);
    // Dynamic resources (the OVH policy wait) have no provider SDK class to replay them through.
    const replay: Replay[] = outcome.plan.resources.filter(r => r.custom && !r.type.startsWith("pulumi-nodejs:dynamic"))
        .map(r => ({ type: r.type, name: r.urn, inputs: r.inputs, outputs: r.outputs }));
    fs.writeFileSync(replayFile, JSON.stringify(replay));
    return {
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        resources: outcome.plan.resources.filter(r => r.custom).length,
        rssMb: process.resourceUsage().maxRSS / 1024,
    };
}

/** npm packages of the providers the plan's resources come from, by the first part of their type token. */
const PROVIDER_PACKAGES: Record<string, string> = {
    aws: "@pulumi/aws", gcp: "@pulumi/gcp", kubernetes: "@pulumi/kubernetes", random: "@pulumi/random", ovh: "@ovhcloud/pulumi-ovh",
};

type ResourceClass = new (name: string, args: Record<string, unknown>) => unknown;

/**
 * The provider SDK's class for a type token, e.g. `aws:eks/cluster:Cluster` -> `aws.eks.Cluster`,
 * `kubernetes:helm.sh/v3:Release` -> `k8s.helm.v3.Release`, `pulumi:providers:gcp` -> `gcp.Provider`.
 * The class's own `__pulumiType` confirms the match.
 */
function resourceClass(type: string): ResourceClass {
    const [packageKey, module, className] = type.split(":");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = (key: string) => require(PROVIDER_PACKAGES[key]) as Record<string, unknown>;
    if (packageKey === "pulumi") return load(className).Provider as ResourceClass;
    const modulePath = packageKey === "kubernetes" ? module.split("/").map(part => part.split(".")[0]) : [module.split("/")[0]];
    let namespace = load(packageKey);
    for (const part of modulePath.filter(part => part !== "index")) {
        namespace = (namespace[part] ?? namespace[part.toLowerCase()]) as Record<string, unknown>;
    }
    const found = namespace?.[className] as (ResourceClass & { __pulumiType?: string }) | undefined;
    if (found?.__pulumiType !== type) throw new Error(`no provider class found for ${type}`);
    return found;
}

/**
 * Child: the SDK's own cost. With a count, registers that many plain resources with three small inputs under
 * mocks that echo them; with a replay file, registers the plan's cloud resources again, flat, through the
 * providers' own classes, with the same inputs and mocked outputs as plain values: what the SDK spends on
 * exactly these resources, without our components, outputs and checks.
 */
async function sdkChild(source: string): Promise<Measure> {
    const start = process.hrtime.bigint();
    const pulumi = await import("@pulumi/pulumi");
    const replay: Replay[] = /^\d+$/.test(source)
        ? Array.from({ length: Number(source) }, (_, i) => {
            const inputs = { index: i, name: `resource-${i}`, labels: { purpose: "bench" } };
            return { type: "bench:index:Resource", name: `resource-${i}`, inputs, outputs: inputs };
        })
        : JSON.parse(fs.readFileSync(source, "utf8")) as Replay[];
    const outputsByName = new Map(replay.map(r => [r.name, r.outputs]));
    pulumi.runtime.setMocks({
        newResource: args => ({ id: `${args.name}-id`, state: outputsByName.get(args.name) ?? args.inputs }),
        call: () => ({}),
    }, "jupyterhub-fleet", STACK, false);
    class PlainResource extends pulumi.CustomResource {
        constructor(name: string, props: Record<string, unknown>) {
            super("bench:index:Resource", name, props);
        }
    }
    for (const resource of replay) {
        const Class = resource.type === "bench:index:Resource" ? PlainResource : resourceClass(resource.type);
        new Class(resource.name, resource.inputs);
    }
    await pulumi.runtime.disconnect();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, resources: replay.length, rssMb: process.resourceUsage().maxRSS / 1024 };
}

interface Row extends Measure {
    readonly label: string;
    readonly wallMs: number;
}

/** Runs this file as a child and times the whole process. */
function runChild(runner: readonly string[], script: string, args: readonly string[], label: string): Row {
    const start = process.hrtime.bigint();
    const stdout = execFileSync(process.execPath, [...runner, script, ...args], { cwd: ROOT, maxBuffer: 1 << 26 }).toString();
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    return { label, wallMs, ...JSON.parse(stdout.trim().split("\n").pop()!) as Measure };
}

function table(rows: readonly Row[]): string {
    const header = ["run", "wall s", "plan s", "peak RSS MB", "resources", "ms/resource", "growth"];
    const lines = rows.map((row, i) => {
        const previous = i > 0 && rows[i - 1].label.split(" ")[0] === row.label.split(" ")[0] ? rows[i - 1] : undefined;
        // Growth: how much more time per resource than the previous size (1.0 = linear).
        const growth = previous ? (row.ms / row.resources) / (previous.ms / previous.resources) : undefined;
        return [row.label, (row.wallMs / 1000).toFixed(1), (row.ms / 1000).toFixed(1), row.rssMb.toFixed(0), String(row.resources),
            (row.ms / row.resources).toFixed(2), growth ? `×${growth.toFixed(2)}` : ""];
    });
    const widths = header.map((h, c) => Math.max(h.length, ...lines.map(l => l[c].length)));
    return [header, ...lines].map(l => l.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")).join("\n");
}

async function parent(hubCounts: readonly number[]): Promise<void> {
    const tsRunner = ["-r", "ts-node/register/transpile-only"];
    const source = path.join(ROOT, "scripts", "bench.ts");
    process.stdout.write("Compiling with tsc to bin/ ...\n");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", ROOT, "--outDir", path.join(ROOT, "bin")], { stdio: "inherit" });
    const compiled = path.join(ROOT, "bin", "scripts", "bench.js");

    const dirs: string[] = [];
    const results: Record<string, { plan: Row; sdk: Row; bare: Row }[]> = { "ts-node": [], "compiled": [] };
    try {
        for (const hubs of hubCounts) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-bench-${hubs}-`));
            dirs.push(dir);
            fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), syntheticStack(hubs));
            for (const [mode, runner, script] of [["ts-node", tsRunner, source], ["compiled", [], compiled]] as const) {
                process.stdout.write(`${mode}: ${hubs} hubs ...\n`);
                const replayFile = path.join(dir, "replay.json");
                const plan = runChild(runner, script, ["--child-plan", dir, replayFile], `plan ${hubs} hubs`);
                const sdk = runChild(runner, script, ["--child-sdk", replayFile], `sdk ${plan.resources}`);
                const bare = runChild(runner, script, ["--child-sdk", String(plan.resources)], `bare ${plan.resources}`);
                results[mode].push({ plan, sdk, bare });
            }
        }
    } finally {
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const [mode, runs] of Object.entries(results)) {
        const rows = (["plan", "sdk", "bare"] as const).flatMap(kind => runs.map(run => run[kind]));
        process.stdout.write(`\n${mode}\n${table(rows)}\n`);
        const ratio = (kind: "sdk" | "bare") => hubCounts
            .map((hubs, i) => `${hubs} hubs ×${(runs[i].plan.ms / runs[i][kind].ms).toFixed(2)}`).join(", ");
        process.stdout.write(`our overhead, plan time / SDK time for the same resources and payloads: ${ratio("sdk")}\n`);
        process.stdout.write(`plan time / SDK time for as many three-input resources: ${ratio("bare")}\n`);
    }
}

async function main(argv: readonly string[]): Promise<void> {
    if (argv[0] === "--child-plan") {
        process.stdout.write(`${JSON.stringify(await planChild(argv[1], argv[2]))}\n`);
    } else if (argv[0] === "--child-sdk") {
        process.stdout.write(`${JSON.stringify(await sdkChild(argv[1]))}\n`);
    } else {
        let sizes: number[];
        try {
            sizes = benchSizes(argv);
        } catch (error) {
            process.stderr.write(`${(error as Error).message}\n`);
            process.exit(2);
        }
        await parent(sizes);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch(error => {
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(1);
    });
}
