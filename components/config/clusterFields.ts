/** Cluster fields every cloud platform shares: Kubernetes version, node pools, buckets, protection, renames. */
import { z } from "zod";
import { CLUSTER_KEY, MAX_CLUSTER_KEY_LENGTH } from "./names";

export const kubernetesVersion = z.string().regex(/^1\.\d{2}$/, {
    error: "must be a minor version such as \"1.33\" (quote it in YAML so it stays a string)",
});

const nodePoolSchema = z.strictObject({
    /** Instance type / flavor, e.g. r5.xlarge, n2-highmem-4, b3-16. */
    machineType: z.string().min(1),
    minNodes: z.number().int().min(0),
    maxNodes: z.number().int().min(1),
    /** `core` runs the hub and proxy, `user` runs user servers. Defaults from the pool key (`core` or not). */
    purpose: z.enum(["core", "user"]).optional(),
    /** AWS user pools only: spot capacity. */
    spot: z.boolean().optional(),
    /** Root disk per node, GiB. AWS defaults: 50 for core pools, 100 for user pools (notebook images are several GB). */
    diskSizeGb: z.number().int().min(20).max(16384).optional(),
    /** AWS only: the cluster zones the pool's nodes run in. Core pools run in one zone (the first by default). */
    zones: z.array(z.string().min(1)).min(1).optional(),
});
export type NodePoolSpec = z.infer<typeof nodePoolSchema>;

export function nodePoolPurpose(poolKey: string, pool: NodePoolSpec): "core" | "user" {
    return pool.purpose ?? (poolKey === "core" ? "core" : "user");
}

export const bucketSchema = z.strictObject({
    /** Full bucket name; defaults to `<cluster>-<key>` on AWS/GCP and `<key>` on OVH / existing clusters. */
    name: z.string().optional(),
    /** Objects expire this many days after creation (scratch buckets). */
    deleteAfterDays: z.number().int().min(1).optional(),
});
export type BucketSpec = z.infer<typeof bucketSchema>;

/** Any cluster: the key this cluster had before a rename, so its resources are kept (become aliases). */
export const clusterRenamedFrom = z.string()
    .regex(CLUSTER_KEY, { error: "is not a valid cluster key (give the cluster's previous key, as it was written under clusters)" })
    .max(MAX_CLUSTER_KEY_LENGTH);

/** Fields of every cluster the fleet creates (aws, gcp, ovh). */
export const commonClusterFields = {
    /** `protect` the cluster (and on OVH its private network): an edit that would delete or replace it fails. Staging may set false. */
    deletionProtection: z.boolean().default(true),
    renamedFrom: clusterRenamedFrom.optional(),
    nodePools: z.record(z.string(), nodePoolSchema),
    /** Parsed separately per provider; see HOME_STORAGE_TYPES. */
    homeStorage: z.unknown().optional(),
    buckets: z.record(z.string(), bucketSchema).default({}),
};
