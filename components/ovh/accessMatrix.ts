/**
 * Pure: who can do what with an OVH cluster's buckets, read off the S3 policy documents the cluster
 * deploys (`accessPrincipals`) by evaluating them, never by re-reading the config's intent.
 */
import { bucketFullName, OvhClusterSpec } from "../config";
import { AccessLevel, bucketAccess, createBucketProbe, Decision, evaluate } from "./policyEvaluator";
import { accessPrincipals } from "./s3Policies";

export interface AccessMatrixRow {
    /** `<group>/<login>` or `default`. */
    readonly principal: string;
    readonly group: string;
    /** Undefined for the default group's user, which serves every hub user without a group. */
    readonly login?: string;
    /** Access level by full bucket name. */
    readonly buckets: Readonly<Record<string, AccessLevel>>;
    /** Whether the policy lets its user create a bucket that is not in config. */
    readonly createBucket: Decision;
}

export interface AccessMatrix {
    readonly cluster: string;
    /** Full bucket names, sorted. */
    readonly buckets: readonly string[];
    readonly rows: readonly AccessMatrixRow[];
}

export function accessMatrix(clusterKey: string, cluster: OvhClusterSpec): AccessMatrix {
    const buckets = Object.entries(cluster.buckets).map(([key, spec]) => bucketFullName(clusterKey, cluster.provider, key, spec)).sort();
    const creation = createBucketProbe(buckets);
    const rows = accessPrincipals(clusterKey, cluster).map(principal => ({
        principal: principal.id,
        group: principal.group,
        login: principal.login,
        buckets: Object.fromEntries(buckets.map(bucket => [bucket, bucketAccess(principal.policy, bucket)])),
        createBucket: evaluate(principal.policy, creation.action, creation.resource),
    }));
    return { cluster: clusterKey, buckets, rows };
}

/** Keys of the buckets some user of the cluster's hubs can at least read, by the deployed policies. */
export function reachableBucketKeys(clusterKey: string, cluster: OvhClusterSpec): string[] {
    const matrix = accessMatrix(clusterKey, cluster);
    return Object.entries(cluster.buckets)
        .filter(([key, spec]) => matrix.rows.some(row => row.buckets[bucketFullName(clusterKey, cluster.provider, key, spec)] !== "none"))
        .map(([key]) => key).sort();
}
