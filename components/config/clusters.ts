/** Clusters of every provider: the schema per provider, and the rules every cluster the fleet creates shares. */
import { awsClusterSchema, AwsClusterSpec, checkAwsCluster } from "./aws";
import { nodePoolPurpose } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { checkGcpCluster, gcpClusterSchema, GcpClusterSpec } from "./gcp";
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

/** Rules within one cluster: node pools and buckets, then the provider's own (see aws.ts, gcp.ts, …). */
export function checkCluster(key: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const pools = cluster.provider === "kubernetes" ? {} : cluster.nodePools;
    if (cluster.provider !== "kubernetes") {
        const purposes = Object.entries(pools).map(([poolKey, pool]) => nodePoolPurpose(poolKey, pool));
        if (!purposes.includes("core")) {
            problems.add([...path, "nodePools"], "no core node pool",
                "add a pool keyed core (or with purpose: core) to run the hub and proxy");
        }
        if (!purposes.includes("user")) {
            problems.add([...path, "nodePools"], "no user node pool",
                "add a pool such as user: { machineType: …, minNodes: 0, maxNodes: 10 }");
        }
    }
    for (const [poolKey, pool] of Object.entries(pools)) {
        const poolPath = [...path, "nodePools", poolKey];
        if (!DNS_LABEL.test(poolKey) || poolKey.length > 20) {
            problems.add(poolPath, "node pool key is not a valid name", "use up to 20 lowercase letters, digits and '-'");
        }
        if (pool.minNodes > pool.maxNodes) {
            problems.add([...poolPath, "minNodes"], `${pool.minNodes} is greater than maxNodes (${pool.maxNodes})`,
                "lower minNodes or raise maxNodes");
        }
        if (nodePoolPurpose(poolKey, pool) === "core" && pool.minNodes < 1) {
            problems.add([...poolPath, "minNodes"], "the core pool runs the hub, the proxy and cluster DNS, so it cannot scale to zero",
                "set minNodes: 1 or more (user pools may scale to zero)");
        }
        if (pool.zones && cluster.provider !== "aws") {
            problems.add([...poolPath, "zones"], `zones applies to aws clusters only, and this cluster is ${cluster.provider}`,
                cluster.provider === "gcp" ? "remove it; GKE pools run in the cluster's zone" : "remove it");
        }
        if (pool.spot && cluster.provider !== "aws") {
            problems.add([...poolPath, "spot"], `spot applies to aws clusters only, and this cluster is ${cluster.provider}`, "remove it");
        } else if (pool.spot && nodePoolPurpose(poolKey, pool) === "core") {
            problems.add([...poolPath, "spot"], "the core pool runs the hub and proxy, which must not be preempted",
                "remove spot from the core pool; use it on user pools");
        }
    }
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
    switch (cluster.provider) {
        case "aws": return checkAwsCluster(key, cluster, path, problems);
        case "gcp": return checkGcpCluster(cluster, path, problems);
        case "ovh": return checkOvhCluster(cluster, path, problems);
        case "kubernetes": return checkKubernetesCluster(cluster, path, problems);
    }
}
