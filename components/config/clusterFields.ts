/** Cluster fields every cloud platform shares: Kubernetes version, node pools, buckets, protection, renames. */
import { z } from "zod";
import { CLUSTER_KEY, MAX_CLUSTER_KEY_LENGTH } from "./names";
import { operationsFields } from "./operations";

export const kubernetesVersion = z.string().regex(/^1\.\d{2}$/, {
    error: "must be a minor version such as \"1.33\" (quote it in YAML so it stays a string)",
});

const taintSchema = z.strictObject({
    key: z.string().min(1),
    value: z.string().optional(),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});
export type TaintSpec = z.infer<typeof taintSchema>;

const gpuSchema = z.strictObject({
    /** Accelerator type where the cloud needs it named (GKE: nvidia-tesla-t4, nvidia-l4…); AWS and OVH read it from the machine type. */
    type: z.string().min(1).optional(),
    /** GPUs per node. */
    count: z.number().int().min(1),
});
export type GpuSpec = z.infer<typeof gpuSchema>;

const nodePoolSchema = z.strictObject({
    /** Instance type / flavor, e.g. r5.xlarge, n2-highmem-4, b3-16. */
    machineType: z.string().min(1),
    minNodes: z.number().int().min(0),
    maxNodes: z.number().int().min(1),
    /**
     * `core` runs the hub and proxy, `user` runs user servers, `dask` runs only dask-gateway workers (tainted).
     * Defaults from the pool key (`core` or not).
     */
    purpose: z.enum(["core", "user", "dask"]).optional(),
    /** AWS user pools only: spot capacity. */
    spot: z.boolean().optional(),
    /** AWS spot pools: further instance types besides machineType, so spot capacity is found. */
    instanceTypes: z.array(z.string().min(1)).min(1).optional(),
    /** Root disk per node, GiB. AWS defaults: 50 for core pools, 100 for user pools (notebook images are several GB). */
    diskSizeGb: z.number().int().min(20).max(16384).optional(),
    /** The cluster zones the pool's nodes run in (default: all of them; core pools: one). */
    zones: z.array(z.string().min(1)).min(1).optional(),
    /** Node labels, added to the fleet's own purpose label. */
    labels: z.record(z.string(), z.string()).optional(),
    /** Node taints, added to the fleet's own purpose taint. */
    taints: z.array(taintSchema).optional(),
    /** GPUs on every node of the pool. */
    gpu: gpuSchema.optional(),
});
export type NodePoolSpec = z.infer<typeof nodePoolSchema>;
export type NodePoolPurpose = NonNullable<NodePoolSpec["purpose"]>;

export function nodePoolPurpose(poolKey: string, pool: Pick<NodePoolSpec, "purpose">): NodePoolPurpose {
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
    ...operationsFields,
};
