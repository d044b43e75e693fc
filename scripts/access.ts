/**
 * `npm run access -- --stack prod [--bucket gfts-vliz] [--json]`
 *
 * Prints, per OVH cluster of a stack, every S3 principal (the fleet's operator user that creates and owns the
 * buckets, each group member, and the default group's shared user) against every bucket: none / read / write /
 * admin, and whether it may create buckets or change ACLs and bucket policies (which can publish data). The
 * levels come from evaluating the policy documents `pulumi up` would deploy, so a reviewer can check a config
 * edit ("who can write gfts-vliz now?") before applying it. Reads only the stack file: no cloud access, no Pulumi CLI, no secrets.
 */
import {
    bucketFullName, CONFIG_NAMESPACE, FleetConfig, FleetConfigError, OvhClusterSpec, parseFleetConfig, RawFleetConfig,
} from "../components/config";
import { AccessMatrix, accessMatrix, AccessMatrixRow, OPERATOR_PRINCIPAL } from "../components/ovh/accessMatrix";
import { Decision } from "../components/ovh/policyEvaluator";
import { readStackFile } from "./stackConfig";

export interface AccessOptions {
    /** Show only this bucket (full name or config key). */
    readonly bucket?: string;
}

/** The access matrix of every OVH cluster in the fleet, optionally narrowed to one bucket. */
export function fleetAccess(fleet: FleetConfig, options: AccessOptions = {}): AccessMatrix[] {
    const matrices: AccessMatrix[] = [];
    for (const [key, cluster] of Object.entries(fleet.clusters)) {
        if (cluster.provider !== "ovh") continue;
        const matrix = accessMatrix(key, cluster);
        const bucket = options.bucket === undefined ? undefined : resolveBucket(key, cluster, options.bucket, matrix);
        if (options.bucket !== undefined && bucket === undefined) continue;
        matrices.push(bucket === undefined ? matrix : {
            ...matrix,
            buckets: [bucket],
            rows: matrix.rows.map(row => ({ ...row, buckets: { [bucket]: row.buckets[bucket] } })),
        });
    }
    if (options.bucket !== undefined && matrices.length === 0) {
        throw new Error(`no OVH cluster in this stack has a bucket named or keyed "${options.bucket}"`);
    }
    return matrices;
}

function resolveBucket(clusterKey: string, cluster: OvhClusterSpec, wanted: string, matrix: AccessMatrix): string | undefined {
    if (matrix.buckets.includes(wanted)) return wanted;
    return wanted in cluster.buckets ? bucketFullName(clusterKey, cluster.provider, wanted, cluster.buckets[wanted]) : undefined;
}

const CREATE_BUCKET: Record<Decision, string> = { Allowed: "allowed", ExplicitlyDenied: "denied", ImplicitlyDenied: "not allowed" };
/** Allowed ACL or bucket-policy writes can publish data: say so in the cell. */
const ACCESS_CONTROL: Record<Decision, string> = { Allowed: "allowed (can publish)", ExplicitlyDenied: "denied", ImplicitlyDenied: "not allowed" };

function who(row: AccessMatrixRow): string {
    if (row.principal === OPERATOR_PRINCIPAL) return "(fleet operator)";
    return row.login ?? "(everyone else)";
}

/** A plain-text table per cluster: one row per principal, one column per bucket. */
export function renderAccessTables(matrices: readonly AccessMatrix[]): string {
    return matrices.map(matrix => {
        const header = ["user", "group", ...matrix.buckets, "new buckets", "ACLs, bucket policies"];
        const rows = matrix.rows.map(row => [
            who(row), row.group ?? "-", ...matrix.buckets.map(b => row.buckets[b]), CREATE_BUCKET[row.createBucket],
            ACCESS_CONTROL[row.accessControl],
        ]);
        const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map(r => r[i].length)));
        const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
        return [`cluster ${matrix.cluster}`, line(header), line(widths.map(w => "-".repeat(w))), ...rows.map(line)].join("\n");
    }).join("\n\n") + "\n";
}

/** Parses the command line, prints the report, and returns the exit code. */
export function main(argv: readonly string[], cwd = process.cwd()): number {
    let stack: string | undefined;
    let json = false;
    let bucket: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack" || arg === "-s") stack = argv[++i];
        else if (arg === "--bucket") bucket = argv[++i];
        else if (arg === "--json") json = true;
        else {
            process.stderr.write(`unknown argument ${arg}\nusage: npm run access -- --stack <stack> [--bucket <name>] [--json]\n`);
            return 2;
        }
    }
    if (!stack) {
        process.stderr.write("usage: npm run access -- --stack <stack> [--bucket <name>] [--json]\n");
        return 2;
    }
    try {
        const stackConfig = readStackFile(stack, cwd);
        const raw: Record<string, unknown> = {};
        const secretKeys: string[] = [];
        for (const [fullKey, text] of Object.entries(stackConfig.config)) {
            const [namespace, key] = fullKey.split(":");
            if (namespace !== CONFIG_NAMESPACE) continue;
            raw[key] = JSON.parse(text);
            if (stackConfig.secretKeys.includes(fullKey)) secretKeys.push(key);
        }
        const fleet = parseFleetConfig(raw as RawFleetConfig, { stack, secretKeys });
        const matrices = fleetAccess(fleet, { bucket });
        if (json) {
            process.stdout.write(JSON.stringify(matrices, null, 2) + "\n");
        } else {
            process.stdout.write(matrices.length > 0 ? renderAccessTables(matrices) : `no OVH clusters in Pulumi.${stack}.yaml\n`);
        }
        return 0;
    } catch (error) {
        process.stderr.write(`${error instanceof FleetConfigError ? error.message : `error: ${(error as Error).message}`}\n`);
        return 1;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
