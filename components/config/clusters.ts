/** Clusters of every provider: the schema per provider, and the rules every cluster the fleet creates shares. */
import { awsClusterSchema, AwsClusterSpec, checkAwsCluster } from "./aws";
import { FLEET_LABEL_KEYS, FLEET_TAINT_KEYS, RESERVED_LABEL_PREFIX, validLabelKey, validLabelValue } from "../nodePoolScheduling";
import { NodePoolSpec, nodePoolPurpose } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { checkGcpCluster, gcpClusterSchema, GcpClusterSpec } from "./gcp";
import { checkHomeStorage } from "./homeStorage";
import { checkKubernetesCluster, kubernetesClusterSchema, KubernetesClusterSpec } from "./kubernetes";
import {
    BUCKET_NAME, bucketFullName, CLUSTER_KEY, DNS_LABEL, IPV4_ADDRESS, MAX_CLUSTER_KEY_LENGTH, PROVIDERS, ProviderName, reservedBucketName,
} from "./names";
import { checkOvhCluster, ovhClusterSchema, OvhClusterSpec } from "./ovh";

export const clusterSchemas = {
    aws: awsClusterSchema,
    gcp: gcpClusterSchema,
    ovh: ovhClusterSchema,
    kubernetes: kubernetesClusterSchema,
};
export type ClusterSpec = AwsClusterSpec | GcpClusterSpec | OvhClusterSpec | KubernetesClusterSpec;

/** Fields that exist for some providers only, so a misplaced one gets "applies to …" instead of "unknown". */
export const PROVIDER_ONLY_FIELDS: Record<string, ProviderName[]> = (() => {
    const owners: Record<string, ProviderName[]> = {};
    for (const provider of PROVIDERS) {
        for (const field of Object.keys(clusterSchemas[provider].shape)) {
            (owners[field] ??= []).push(provider);
        }
    }
    return Object.fromEntries(Object.entries(owners).filter(([, providers]) => providers.length < PROVIDERS.length));
})();

export function checkClusterKey(key: string, path: readonly PathPart[], problems: Problems): void {
    if (!CLUSTER_KEY.test(key) || key.length > MAX_CLUSTER_KEY_LENGTH) {
        problems.add(path, "cluster key is not a valid name",
            `use 2–${MAX_CLUSTER_KEY_LENGTH} lowercase letters, digits and '-', starting with a letter; ` +
            "it prefixes cloud resource names, and GCP service accounts allow 29 characters for cluster + hub");
    }
}

type PoolProvider = Exclude<ProviderName, "kubernetes">;

/** Why each cloud limits pool keys (the key names the node group or pool and labels its nodes). */
const POOL_NAME_LIMIT: Readonly<Record<PoolProvider, string>> = {
    aws: "the node group is named <cluster>-pool-<key> plus Pulumi's 8-character suffix, and EKS allows 63",
    gcp: "GKE node pool names are at most 40 characters",
    ovh: "MKS names nodes <key>-node-<6 characters>, which must stay a 63-character DNS label",
};

/**
 * The longest pool key each cloud's derived names allow. AWS: Pulumi autonames the node group
 * `<cluster>-pool-<key>-<7 hex>` (pulumi/pulumi-aws provider/resources.go: `tfbridge.AutoName("nodeGroupName",
 * 255, "-")`, which does not shorten it to fit), and terraform-provider-aws internal/service/eks/node_group.go
 * refuses a node_group_name over 63 characters. GCP: GKE refuses node pool names over 40 characters. OVH: MKS
 * names a pool's nodes `<pool>-node-<6 hex>`, a node name is a DNS label, and the pool name is also a label value.
 */
export function maxPoolKeyLength(provider: PoolProvider, clusterKey: string): number {
    switch (provider) {
        case "aws": return 63 - 8 - `${clusterKey}-pool-`.length;
        case "gcp": return 40;
        case "ovh": return 63 - "-node-".length - 6;
    }
}

/** A pool's own labels and taints: valid Kubernetes syntax, and none of the keys the fleet schedules by. */
function checkPoolLabelsAndTaints(pool: NodePoolSpec, poolPath: readonly PathPart[], problems: Problems): void {
    for (const [labelKey, value] of Object.entries(pool.labels ?? {})) {
        const at = [...poolPath, "labels", labelKey];
        if (FLEET_LABEL_KEYS.includes(labelKey)) {
            problems.add(at, "the fleet sets this label itself (pools are selected by it)", "remove it; use a key of your own, e.g. example.org/team");
        } else if (!validLabelKey(labelKey)) {
            problems.add(at, "is not a Kubernetes label key", "use an optional DNS prefix and a name of up to 63 letters, digits, '-', '_', '.', e.g. example.org/team");
        } else if (RESERVED_LABEL_PREFIX.test(labelKey)) {
            problems.add(at, "kubernetes.io and k8s.io label prefixes are reserved, and the kubelet refuses to set them on its node",
                "use a prefix of your own, e.g. example.org/…");
        }
        if (!validLabelValue(value)) {
            problems.add(at, `"${value}" is not a Kubernetes label value`, "use up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
        }
    }
    (pool.taints ?? []).forEach((taint, i) => {
        const at = [...poolPath, "taints", i];
        if (FLEET_TAINT_KEYS.includes(taint.key)) {
            problems.add([...at, "key"], `the fleet sets the ${taint.key} taint itself (by purpose and gpu)`,
                "remove it; set purpose: dask or gpu instead, or use a key of your own");
        } else if (!validLabelKey(taint.key)) {
            problems.add([...at, "key"], `"${taint.key}" is not a taint key`, "use an optional DNS prefix and a name of up to 63 letters, digits, '-', '_', '.'");
        }
        if (taint.value !== undefined && !validLabelValue(taint.value)) {
            problems.add([...at, "value"], `"${taint.value}" is not a taint value`, "use up to 63 letters, digits, '-', '_' and '.'");
        }
        const earlier = (pool.taints ?? []).findIndex(t => t.key === taint.key && t.effect === taint.effect);
        if (earlier < i) {
            problems.add(at, `taints[${earlier}] has the same key and effect`, "keep one taint per key and effect");
        }
    });
}

/** Node pools of a cluster the fleet creates: names, bounds, purpose rules and the fields every cloud shares. */
function checkNodePools(key: string, cluster: Exclude<ClusterSpec, KubernetesClusterSpec>, path: readonly PathPart[], problems: Problems): void {
    const purposes = Object.entries(cluster.nodePools).map(([poolKey, pool]) => nodePoolPurpose(poolKey, pool));
    if (!purposes.includes("core")) {
        problems.add([...path, "nodePools"], "no core node pool",
            "add a pool keyed core (or with purpose: core) to run the hub and proxy");
    }
    if (!purposes.includes("user")) {
        problems.add([...path, "nodePools"], "no user node pool",
            "add a pool such as user: { machineType: …, minNodes: 0, maxNodes: 10 }");
    }
    for (const [poolKey, pool] of Object.entries(cluster.nodePools)) {
        const poolPath = [...path, "nodePools", poolKey];
        const maxKey = maxPoolKeyLength(cluster.provider, key);
        if (!DNS_LABEL.test(poolKey) || poolKey.length > maxKey) {
            problems.add(poolPath, "node pool key is not a valid name",
                `use up to ${maxKey} lowercase letters, digits and '-', starting with a letter (${POOL_NAME_LIMIT[cluster.provider]})`);
        }
        if (pool.minNodes > pool.maxNodes) {
            problems.add([...poolPath, "minNodes"], `${pool.minNodes} is greater than maxNodes (${pool.maxNodes})`,
                "lower minNodes or raise maxNodes");
        }
        const purpose = nodePoolPurpose(poolKey, pool);
        if (purpose === "core" && pool.minNodes < 1) {
            problems.add([...poolPath, "minNodes"], "the core pool runs the hub, the proxy and cluster DNS, so it cannot scale to zero",
                "set minNodes: 1 or more (user pools may scale to zero)");
        }
        if (purpose === "core" && pool.gpu) {
            problems.add([...poolPath, "gpu"], "a core pool runs the hub, proxy and system pods, which need no GPU, and GPU nodes are tainted for GPU pods only",
                poolKey === "core"
                    ? "keep the core pool CPU-only and add a GPU pool such as gpu: { machineType: …, minNodes: 0, maxNodes: 4, gpu: { count: 1 } }"
                    : "remove purpose: core, or the gpu");
        }
        if (pool.spot && cluster.provider !== "aws") {
            problems.add([...poolPath, "spot"], `spot applies to aws clusters only, and this cluster is ${cluster.provider}`, "remove it");
        } else if (pool.spot && purpose === "core") {
            problems.add([...poolPath, "spot"], "the core pool runs the hub and proxy, which must not be preempted",
                "remove spot from the core pool; use it on user pools");
        }
        if (pool.instanceTypes && cluster.provider !== "aws") {
            problems.add([...poolPath, "instanceTypes"], `instanceTypes applies to aws spot pools only, and this cluster is ${cluster.provider}`,
                "remove it; the pool runs machineType only");
        } else if (pool.instanceTypes && !pool.spot) {
            problems.add([...poolPath, "instanceTypes"], "instanceTypes widens the search for spot capacity, and this pool is on-demand",
                "add spot: true, or remove instanceTypes (on-demand pools run machineType)");
        }
        if (pool.zones) {
            const repeated = pool.zones.find((zone, i) => pool.zones!.indexOf(zone) !== i);
            if (repeated) problems.add([...poolPath, "zones"], `${repeated} is listed twice`, "list each zone once");
        }
        checkPoolLabelsAndTaints(pool, poolPath, problems);
    }
}

/** Rules within one cluster: node pools and buckets, then the provider's own (see aws.ts, gcp.ts, …). */
export function checkCluster(key: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    if (cluster.provider !== "kubernetes") checkNodePools(key, cluster, path, problems);
    for (const [bucketKey, bucket] of Object.entries(cluster.buckets)) {
        const bucketPath = [...path, "buckets", bucketKey];
        const fullName = bucketFullName(key, cluster.provider, bucketKey, bucket);
        const reserved = reservedBucketName(fullName, cluster.provider);
        if (!BUCKET_NAME.test(fullName) || fullName.includes("..") || IPV4_ADDRESS.test(fullName)) {
            problems.add(bucket.name ? [...bucketPath, "name"] : bucketPath, `bucket name "${fullName}" is not allowed by the cloud`,
                "bucket names are 3–63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, and not an IP address" +
                (bucket.name ? "" : `; change the key or set name:`));
        } else if (reserved) {
            problems.add(bucket.name ? [...bucketPath, "name"] : bucketPath, `bucket name "${fullName}" is refused: ${reserved}`,
                bucket.name ? "choose another name" : "change the key or set name:");
        }
        if (cluster.provider === "kubernetes" && bucket.deleteAfterDays !== undefined) {
            problems.add([...bucketPath, "deleteAfterDays"], "buckets on an existing cluster are not managed here, so no lifecycle rule can be set",
                "remove it, or set the rule on the storage system");
        }
    }
    checkHomeStorage(cluster, path, problems);
    switch (cluster.provider) {
        case "aws": return checkAwsCluster(key, cluster, path, problems);
        case "gcp": return checkGcpCluster(cluster, path, problems);
        case "ovh": return checkOvhCluster(cluster, path, problems);
        case "kubernetes": return checkKubernetesCluster(cluster, path, problems);
    }
}
