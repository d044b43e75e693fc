/**
 * Pure: the Kubernetes labels and taints a node pool's nodes carry, the same on every cloud. The fleet's own
 * ones come first and decide where pods go (z2jh's purpose label and user taint, the pool label profiles and
 * dask workers select, the dask and GPU taints); the pool's `labels` and `taints` are added to them and may not
 * reuse their keys, or a pool could hand its nodes to pods they were kept from.
 */
import { NodePoolSpec, nodePoolPurpose } from "./config/clusterFields";
import { DASK_WORKER_TAINT, GPU_TAINT, NODE_POOL_LABEL, NODE_PURPOSE_LABEL, USER_TAINT } from "./platform";

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/** A taint as Kubernetes writes it on a Node. */
export interface NodeTaint {
    readonly key: string;
    readonly value: string;
    readonly effect: TaintEffect;
}

export interface PoolScheduling {
    /** Label key -> value, keys sorted. */
    readonly labels: Readonly<Record<string, string>>;
    /** The fleet's taints first (purpose, then GPU), then the pool's own in config order. */
    readonly taints: readonly NodeTaint[];
}

/** Label keys only the fleet sets on pool nodes. */
export const FLEET_LABEL_KEYS: readonly string[] = [NODE_PURPOSE_LABEL, NODE_POOL_LABEL];
/**
 * Taint keys only the fleet sets. The user taint also in the underscore form GKE pools carry (z2jh user pods
 * tolerate both), so a pool's own taint can be neither.
 */
export const FLEET_TAINT_KEYS: readonly string[] = [USER_TAINT.key, USER_TAINT.key.replace("/", "_"), DASK_WORKER_TAINT.key, GPU_TAINT.key];

/**
 * Label key prefixes the kubelet refuses to set on its own node (NodeRestriction: `kubernetes.io` and `k8s.io`
 * are reserved, apart from a few well-known keys): every cloud's node pools set their labels through the
 * kubelet, so nodes with them would never register. Kubernetes docs, "Well-Known Labels, Annotations and
 * Taints" and kubelet `--node-labels`.
 */
export const RESERVED_LABEL_PREFIX = /^(?:[^/]*\.)?(?:kubernetes\.io|k8s\.io)\//;

/** A Kubernetes label key: optional DNS-subdomain prefix (≤ 253) and a name of ≤ 63 characters. */
export function validLabelKey(key: string): boolean {
    const [prefix, name, extra] = key.includes("/") ? key.split("/") : [undefined, key];
    if (extra !== undefined) return false;
    if (prefix !== undefined && (prefix.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix))) return false;
    return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

/** A Kubernetes label value (also a taint value): empty, or ≤ 63 characters of the label-name alphabet. */
export function validLabelValue(value: string): boolean {
    return value === "" || (value.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value));
}

/**
 * The taints the fleet puts on a pool: the user taint on user pools (z2jh user pods tolerate it), the dask taint
 * on dask pools (dask-gateway's pods tolerate it), and the GPU taint on GPU pools (pods that request a GPU
 * tolerate it), so CPU-only work never holds an expensive node.
 */
export function fleetTaints(poolKey: string, pool: NodePoolSpec): NodeTaint[] {
    const purpose = nodePoolPurpose(poolKey, pool);
    const taints: NodeTaint[] = [];
    if (purpose === "user") taints.push({ ...USER_TAINT, effect: "NoSchedule" });
    if (purpose === "dask") taints.push({ ...DASK_WORKER_TAINT, effect: "NoSchedule" });
    if (pool.gpu) taints.push({ ...GPU_TAINT, effect: "NoSchedule" });
    return taints;
}

/** Every label and taint of the pool's nodes: the fleet's, then the pool's own. */
export function poolScheduling(poolKey: string, pool: NodePoolSpec): PoolScheduling {
    const labels: Record<string, string> = {
        ...pool.labels,
        [NODE_PURPOSE_LABEL]: nodePoolPurpose(poolKey, pool),
        [NODE_POOL_LABEL]: poolKey,
    };
    const sorted = Object.fromEntries(Object.keys(labels).sort().map(key => [key, labels[key]]));
    const own = (pool.taints ?? []).map(t => ({ key: t.key, value: t.value ?? "", effect: t.effect }));
    return { labels: sorted, taints: [...fleetTaints(poolKey, pool), ...own] };
}

/** The EKS and GKE APIs write taint effects in upper snake case. */
export function apiTaintEffect(effect: TaintEffect): "NO_SCHEDULE" | "PREFER_NO_SCHEDULE" | "NO_EXECUTE" {
    switch (effect) {
        case "NoSchedule": return "NO_SCHEDULE";
        case "PreferNoSchedule": return "PREFER_NO_SCHEDULE";
        case "NoExecute": return "NO_EXECUTE";
    }
}

/** A node affinity to the nodes of `poolKeys` (by the fleet's pool label): how the GPU add-ons reach only the GPU pools. */
export function poolAffinity(poolKeys: readonly string[]) {
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: NODE_POOL_LABEL, operator: "In", values: [...poolKeys].sort() }] }],
            },
        },
    };
}
