/**
 * Pure: a small evaluator of S3 user policies (identity policies without conditions), and the probes that
 * turn its decisions into an access level per bucket.
 *
 * It exists so operators can see who can do what (`npm run access`) from the documents that will be
 * deployed, not from a second reading of the config. It implements the part of IAM's logic our documents
 * use (explicit Deny beats Allow beats the implicit deny; `*` and `?` wildcards; actions case-insensitive,
 * resources case-sensitive) and refuses any other policy element rather than guess. The tests check it
 * against a full IAM evaluator.
 */
import { S3_ACCESS_CONTROL_ACTIONS, S3_READ_ACTIONS, S3_WRITE_ACTIONS } from "./s3Policies";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** The statement shape the evaluator accepts (what `s3Policies.ts` generates, in IAM's loose form). */
interface EvaluatedStatement {
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource: string | readonly string[];
}

const SUPPORTED_STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "Resource"]);

function wildcardPattern(pattern: string, flags: string): RegExp {
    const body = pattern.split("").map(ch => ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&")).join("");
    return new RegExp(`^${body}$`, flags);
}

function matchesAny(patterns: string | readonly string[], value: string, flags: string): boolean {
    return (typeof patterns === "string" ? [patterns] : patterns).some(p => wildcardPattern(p, flags).test(value));
}

function checkStatement(statement: Record<string, unknown>, index: number): EvaluatedStatement {
    const unsupported = Object.keys(statement).filter(k => !SUPPORTED_STATEMENT_KEYS.has(k));
    if (unsupported.length > 0) {
        throw new Error(`statement ${index}: ${unsupported.join(", ")} not supported by this evaluator`);
    }
    if (statement.Effect !== "Allow" && statement.Effect !== "Deny") {
        throw new Error(`statement ${index}: Effect must be Allow or Deny, got ${JSON.stringify(statement.Effect)}`);
    }
    return statement as unknown as EvaluatedStatement;
}

/** IAM's decision for one request against one identity policy: an explicit Deny wins over any Allow. */
export function evaluate(policy: { readonly Statement: readonly object[] }, action: string, resource: string): Decision {
    let decision: Decision = "ImplicitlyDenied";
    policy.Statement.forEach((raw, i) => {
        const statement = checkStatement(raw as Record<string, unknown>, i);
        if (decision === "ExplicitlyDenied" ||
            !matchesAny(statement.Action, action, "i") || !matchesAny(statement.Resource, resource, "")) return;
        decision = statement.Effect === "Deny" ? "ExplicitlyDenied" : "Allowed";
    });
    return decision;
}

// ---------------------------------------------------------------------------------------------------------
// Access levels

/** One request used to classify access to a bucket. */
export interface Probe {
    readonly action: string;
    readonly resource: string;
}

/** Actions that act on objects (the rest act on the bucket); IAM matches them against `bucket/key`. */
const OBJECT_ACTIONS = new Set([
    "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectAcl",
    "s3:GetObjectTagging", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
]);

/** The probe of `action` on `bucketName`, or on an object in it for object actions. */
function probe(action: string, bucketName: string): Probe {
    return { action, resource: OBJECT_ACTIONS.has(action) ? `arn:aws:s3:::${bucketName}/probe/object` : `arn:aws:s3:::${bucketName}` };
}

/** Bucket administration and access control, which only `admin` groups (`s3:*`) and the fleet's operator have. */
export const S3_ADMIN_PROBE_ACTIONS: readonly string[] = [
    "s3:DeleteBucket", "s3:DeleteObjectVersion", "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
    ...S3_ACCESS_CONTROL_ACTIONS,
];

export type AccessLevel = "none" | "read" | "write" | "admin" | "partial";

const LEVEL_ACTIONS: Readonly<Record<Exclude<AccessLevel, "none" | "partial">, readonly string[]>> = {
    read: S3_READ_ACTIONS,
    write: S3_WRITE_ACTIONS,
    admin: [...new Set([...S3_WRITE_ACTIONS, ...S3_ADMIN_PROBE_ACTIONS])],
};

/** Every action probed on a bucket, sorted. */
export const PROBE_ACTIONS: readonly string[] = [...LEVEL_ACTIONS.admin].sort();

/** The requests that classify access to `bucketName`: each probe action on the bucket or on an object in it. */
export function bucketProbes(bucketName: string): Probe[] {
    return PROBE_ACTIONS.map(action => probe(action, bucketName));
}

/**
 * The level whose actions are exactly the allowed ones; `partial` when the allowed set matches no level
 * (a hand-edited or unexpected policy), so the report never rounds access up or down.
 */
export function accessLevel(allowedActions: Iterable<string>): AccessLevel {
    const allowed = new Set(allowedActions);
    if (allowed.size === 0) return "none";
    for (const level of ["admin", "write", "read"] as const) {
        const actions = LEVEL_ACTIONS[level];
        if (actions.length === allowed.size && actions.every(a => allowed.has(a))) return level;
    }
    return "partial";
}

/** Access to one bucket under one policy, with this evaluator. */
export function bucketAccess(policy: { readonly Statement: readonly object[] }, bucketName: string): AccessLevel {
    return accessLevel(bucketProbes(bucketName).filter(p => evaluate(policy, p.action, p.resource) === "Allowed").map(p => p.action));
}

/**
 * Whether a policy lets its user change who can read a bucket's data (ACLs, bucket policies), on any of
 * `bucketNames`: `Allowed` if on one at least, `ExplicitlyDenied` if denied on all of them.
 */
export function accessControlWrites(policy: { readonly Statement: readonly object[] }, bucketNames: readonly string[]): Decision {
    const decisions = bucketNames.flatMap(bucket => S3_ACCESS_CONTROL_ACTIONS.map(action => {
        const request = probe(action, bucket);
        return evaluate(policy, request.action, request.resource);
    }));
    if (decisions.includes("Allowed")) return "Allowed";
    return decisions.length > 0 && decisions.every(d => d === "ExplicitlyDenied") ? "ExplicitlyDenied" : "ImplicitlyDenied";
}

/** The request that tells whether a policy lets its user create buckets outside config. */
export function createBucketProbe(existingBucketNames: readonly string[]): Probe {
    let name = "fleet-access-probe";
    while (existingBucketNames.includes(name)) name += "-x";
    return { action: "s3:CreateBucket", resource: `arn:aws:s3:::${name}` };
}
