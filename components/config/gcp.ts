/** GCP clusters (GKE): schema and the rules that hold within one GCP cluster. */
import { z } from "zod";
import { acceleratorProblem, machineFamily } from "../gcp/accelerators";
import { commonClusterFields, kubernetesVersion, NodePoolSpec, nodePoolPurpose } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { FILESTORE_MIN_CAPACITY_GB, WithHome } from "./homeStorage";

/** The network every project gets when Compute Engine is enabled (organisations may forbid it). */
export const DEFAULT_NETWORK = "default";
/** A VPC network or subnetwork name in the cluster's project (RFC 1035, as Compute Engine names are). */
const COMPUTE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The id of the Google service account a cluster's nodes run as. A hub's service account is
 * `<cluster>-<hub>`, so a hub keyed `nodes` would collide with it: the hub checks refuse that key.
 */
export function nodeServiceAccountId(clusterKey: string): string {
    return `${clusterKey}-nodes`;
}

export const gcpClusterSchema = z.strictObject({
    provider: z.literal("gcp"),
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be a GCP project id" }),
    region: z.string().regex(/^[a-z]+-[a-z]+\d$/, { error: "must be a GCP region such as us-central1" }),
    zone: z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, { error: "must be a GCP zone such as us-central1-b" }),
    kubernetesVersion: kubernetesVersion.optional(),
    releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).optional(),
    networkPolicy: z.boolean().default(true),
    /** VPC network of the nodes and of Filestore, in the cluster's project. */
    network: z.string().regex(COMPUTE_NAME, { error: "must be a VPC network name in the cluster's project" }).default(DEFAULT_NETWORK),
    /** Subnetwork of the nodes, in `region`; `default` when the network is `default` (its auto-mode subnet there). */
    subnetwork: z.string().regex(COMPUTE_NAME, { error: "must be a subnetwork name in the cluster's region" }).optional(),
    ...commonClusterFields,
});
export type GcpClusterSpec = WithHome<z.infer<typeof gcpClusterSchema>>;

export function checkGcpCluster(cluster: GcpClusterSpec, path: readonly PathPart[], problems: Problems): void {
    if (cluster.kubernetesVersion && cluster.releaseChannel) {
        problems.add([...path, "releaseChannel"], "a pinned kubernetesVersion and a releaseChannel are both set",
            "keep one: a release channel upgrades the cluster by itself");
    }
    if (!cluster.kubernetesVersion && !cluster.releaseChannel) {
        problems.add([...path, "kubernetesVersion"], "neither a kubernetesVersion nor a releaseChannel is set",
            "pin a version such as \"1.33\" or set releaseChannel: STABLE");
    }
    if (!cluster.zone.startsWith(`${cluster.region}-`)) {
        problems.add([...path, "zone"], `zone ${cluster.zone} is not in region ${cluster.region}`, `use a zone such as ${cluster.region}-b`);
    }
    if (cluster.network !== DEFAULT_NETWORK && !cluster.subnetwork) {
        problems.add([...path, "subnetwork"], `network ${cluster.network} is set but no subnetwork`,
            `name the subnetwork of ${cluster.network} in ${cluster.region} the nodes should use`);
    }
    for (const [poolKey, pool] of Object.entries(cluster.nodePools)) checkGkePool(cluster, poolKey, pool, [...path, "nodePools", poolKey], problems);
    const home = cluster.homeStorage;
    if (home.type === "filestore" && home.capacityGb < FILESTORE_MIN_CAPACITY_GB[home.tier]) {
        problems.add([...path, "homeStorage", "capacityGb"], `${home.capacityGb} GB is below the ${home.tier} minimum`,
            `set at least ${FILESTORE_MIN_CAPACITY_GB[home.tier]}`);
    }
}

/** Machine families that exist only with their GPUs attached (G2: L4, A2: A100, A3: H100). */
const GPU_MACHINE_FAMILIES = ["g2", "a2", "a3"];

/** Zones within the cluster's region, and GPUs GKE can attach there. */
function checkGkePool(cluster: GcpClusterSpec, poolKey: string, pool: NodePoolSpec, at: readonly PathPart[], problems: Problems): void {
    const zones = pool.zones ?? [cluster.zone];
    for (const zone of pool.zones ?? []) {
        if (!zone.startsWith(`${cluster.region}-`) || !/^[a-z]+-[a-z]+\d-[a-z]$/.test(zone)) {
            problems.add([...at, "zones"], `${zone} is not a zone of the cluster's region ${cluster.region}`, `use zones such as ${cluster.region}-a, ${cluster.region}-b`);
        }
    }
    if (pool.zones && pool.zones.length > 1 && nodePoolPurpose(poolKey, pool) === "core") {
        problems.add([...at, "zones"], "a core pool runs in one zone: the hub's database is a zonal persistent disk",
            `keep one zone, e.g. zones: [${cluster.zone}]`);
    }
    if (pool.gpu) {
        if (!pool.gpu.type) {
            problems.add([...at, "gpu", "type"], "GKE needs the accelerator type", "set it, e.g. gpu: { type: nvidia-tesla-t4, count: 1 } on an n1 machine type");
            return;
        }
        const problem = acceleratorProblem(pool.gpu.type, pool.machineType, cluster.region, zones);
        if (problem) problems.add([...at, "gpu", "type"], problem.what, problem.fix);
    } else if (GPU_MACHINE_FAMILIES.includes(machineFamily(pool.machineType))) {
        problems.add(at, `${pool.machineType} comes with GPUs but the pool has no gpu`,
            "add gpu: { type: …, count: … }, so GKE installs the driver and taints the nodes for GPU pods only");
    }
}
