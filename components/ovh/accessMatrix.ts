/**
 * Pure: who can do what with an OVH cluster's buckets, read off the S3 policy documents the cluster
 * deploys (`accessPrincipals`, and the operator's `fullControlPolicy`) by evaluating them, never by re-reading
 * the config's intent.
 */
import { bucketFullName, OvhClusterSpec } from "../config";
import { AccessLevel, accessControlWrites, bucketAccess, createBucketProbe, Decision, evaluate } from "./policyEvaluator";
import { accessPrincipals, fullControlPolicy, S3PolicyDocument } from "./s3Policies";

/** The principal id of the fleet's own user, which creates (and so owns) every bucket of the cluster. */
export const OPERATOR_PRINCIPAL = "operator";

export interface AccessMatrixRow {
    /** `<group>/<login>`, `default`, or OPERATOR_PRINCIPAL. */
    readonly principal: string;
    /** The access group; undefined for the operator, which belongs to none. */
    readonly group?: string;
    /** Undefined for the default group's user (every hub user without a group) and for the operator. */
    readonly login?: string;
    /** Access level by full bucket name. */
    readonly buckets: Readonly<Record<string, AccessLevel>>;
    /** Whether the policy lets its user create a bucket that is not in config. */
    readonly createBucket: Decision;
    /** Whether the policy lets its user change ACLs or bucket policies, which can make data public. */
    readonly accessControl: Decision;
}

export interface AccessMatrix {
    readonly cluster: string;
    /** Full bucket names, sorted. */
    readonly buckets: readonly string[];
    /** The operator first, then `accessPrincipals` in their order. */
    readonly rows: readonly AccessMatrixRow[];
}

export function accessMatrix(clusterKey: string, cluster: OvhClusterSpec): AccessMatrix {
    const buckets = Object.entries(cluster.buckets).map(([key, spec]) => bucketFullName(clusterKey, cluster.provider, key, spec)).sort();
    const creation = createBucketProbe(buckets);
    const row = (principal: string, policy: S3PolicyDocument, group?: string, login?: string): AccessMatrixRow => ({
        principal, group, login,
        buckets: Object.fromEntries(buckets.map(bucket => [bucket, bucketAccess(policy, bucket)])),
        createBucket: evaluate(policy, creation.action, creation.resource),
        accessControl: accessControlWrites(policy, buckets),
    });
    return {
        cluster: clusterKey,
        buckets,
        rows: [
            row(OPERATOR_PRINCIPAL, fullControlPolicy(buckets)),
            ...accessPrincipals(clusterKey, cluster).map(p => row(p.id, p.policy, p.group, p.login)),
        ],
    };
}

/** Keys of the buckets that at least one of `principals` (ids of `accessPrincipals`) can read, by the deployed policies. */
export function reachableBucketKeys(clusterKey: string, cluster: OvhClusterSpec, principals: readonly string[]): string[] {
    const rows = accessMatrix(clusterKey, cluster).rows.filter(row => principals.includes(row.principal));
    return Object.entries(cluster.buckets)
        .filter(([key, spec]) => rows.some(row => row.buckets[bucketFullName(clusterKey, cluster.provider, key, spec)] !== "none"))
        .map(([key]) => key).sort();
}
