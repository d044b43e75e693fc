/**
 * `npm run bench`: how the offline plan scales. Plans synthetic fleets of 25, 100 and 400 hubs spread over
 * clusters on every platform, each in a fresh process, and runs a bare program that registers as many
 * plain resources under the same mocks, which is the SDK's own cost; both through ts-node and precompiled
 * with tsc (to bin/). Not part of `npm test`.
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
                provider: "ovh", serviceName: "0123456789abcdef0123456789abcdef", region: "GRA11", s3: { region: "gra" },
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
                .map(k => [k, { kubeconfig: { secure: "v1:YmVuY2gta3ViZWNvbmZpZw==" } }])),
            "jupyterhub-fleet:hubs": Object.fromEntries(hubEntries),
            "jupyterhub-fleet:hubSecrets": Object.fromEntries(hubEntries.map(([key]) => [key, { auth: { clientSecret: { secure: "v1:YmVuY2g=" } } }])),
        },
    });
}

/** Child: plan the stack in `dir`. */
async function planChild(dir: string): Promise<Measure> {
    const start = process.hrtime.bigint();
    const { runPlan } = await import("./planRun");
    const outcome = await runPlan(STACK, dir);
    if (outcome.kind !== "plan") throw new Error(outcome.message);
    return {
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        resources: outcome.plan.resources.filter(r => r.custom).length,
        rssMb: process.resourceUsage().maxRSS / 1024,
    };
}

/** Child: register `count` plain resources under mocks that echo their inputs, nothing else. */
async function bareChild(count: number): Promise<Measure> {
    const start = process.hrtime.bigint();
    const pulumi = await import("@pulumi/pulumi");
    pulumi.runtime.setMocks({
        newResource: args => ({ id: `${args.name}-id`, state: args.inputs }),
        call: () => ({}),
    }, "jupyterhub-fleet", STACK, false);
    class PlainResource extends pulumi.CustomResource {
        constructor(name: string, props: Record<string, unknown>) {
            super("bench:index:Resource", name, props);
        }
    }
    for (let i = 0; i < count; i++) {
        new PlainResource(`resource-${i}`, { index: i, name: `resource-${i}`, labels: { purpose: "bench" } });
    }
    await pulumi.runtime.disconnect();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, resources: count, rssMb: process.resourceUsage().maxRSS / 1024 };
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

async function parent(): Promise<void> {
    const tsRunner = ["-r", "ts-node/register/transpile-only"];
    const source = path.join(ROOT, "scripts", "bench.ts");
    process.stdout.write("Compiling with tsc to bin/ ...\n");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", ROOT, "--outDir", path.join(ROOT, "bin")], { stdio: "inherit" });
    const compiled = path.join(ROOT, "bin", "scripts", "bench.js");

    const dirs: string[] = [];
    const results: Record<string, Row[]> = { "ts-node": [], "compiled": [] };
    try {
        for (const hubs of HUB_COUNTS) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-bench-${hubs}-`));
            dirs.push(dir);
            fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), syntheticStack(hubs));
            for (const [mode, runner, script] of [["ts-node", tsRunner, source], ["compiled", [], compiled]] as const) {
                process.stdout.write(`${mode}: ${hubs} hubs ...\n`);
                const plan = runChild(runner, script, ["--child-plan", dir], `plan ${hubs} hubs`);
                const bare = runChild(runner, script, ["--child-bare", String(plan.resources)], `bare ${plan.resources}`);
                results[mode].push(plan, bare);
            }
        }
    } finally {
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const [mode, rows] of Object.entries(results)) {
        const ordered = [...rows.filter(r => r.label.startsWith("plan")), ...rows.filter(r => r.label.startsWith("bare"))];
        process.stdout.write(`\n${mode}\n${table(ordered)}\n`);
        const overhead = HUB_COUNTS.map((hubs, i) => {
            const plan = rows[2 * i];
            const bare = rows[2 * i + 1];
            return `${hubs} hubs ×${(plan.ms / bare.ms).toFixed(2)}`;
        });
        process.stdout.write(`our overhead (plan time / bare SDK time for as many resources): ${overhead.join(", ")}\n`);
    }
}

async function main(argv: readonly string[]): Promise<void> {
    if (argv[0] === "--child-plan") {
        process.stdout.write(`${JSON.stringify(await planChild(argv[1]))}\n`);
    } else if (argv[0] === "--child-bare") {
        process.stdout.write(`${JSON.stringify(await bareChild(Number(argv[1])))}\n`);
    } else {
        await parent();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch(error => {
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(1);
    });
}
