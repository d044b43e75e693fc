/**
 * Pure: what a pod needs to run on one node pool the fleet created, whatever the cloud: a node selector on the
 * pool's NODE_POOL_LABEL, and a toleration for every taint the pool's nodes carry (its purpose taint, the GPU
 * taint, and the operator's own taints).
 */
import { NodePoolSpec, nodePoolPurpose } from "./config";
import { DASK_WORKER_TAINT, GPU_TAINT, NODE_POOL_LABEL, USER_TAINT } from "./platform";
import { PlainObject } from "./util";

export interface Placement {
    readonly nodeSelector: Record<string, string>;
    readonly tolerations: PlainObject[];
}

const tolerate = (taint: { readonly key: string; readonly value?: string; readonly effect?: string }): PlainObject => taint.value === undefined
    ? { key: taint.key, operator: "Exists", effect: taint.effect ?? "NoSchedule" }
    : { key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect ?? "NoSchedule" };

/**
 * The user taint in both spellings z2jh's user pods tolerate (values.yaml `scheduling.userPods.tolerations`):
 * a pod given its own toleration list replaces that one, so it repeats them.
 */
export const USER_TOLERATIONS: readonly PlainObject[] = [USER_TAINT.key, USER_TAINT.key.replace("/", "_")]
    .map(key => tolerate({ key, value: USER_TAINT.value }));

/** Tolerations for the taints a pool's nodes carry, for a pod that belongs there. */
export function poolTolerations(poolKey: string, pool: NodePoolSpec): PlainObject[] {
    const purpose = nodePoolPurpose(poolKey, pool);
    return [
        ...purpose === "user" ? USER_TOLERATIONS : purpose === "dask" ? [tolerate(DASK_WORKER_TAINT)] : [],
        // Whatever value a cloud gives the GPU taint (GKE `present`), a pod asking for GPUs tolerates the key.
        ...pool.gpu ? [tolerate({ key: GPU_TAINT.key })] : [],
        ...(pool.taints ?? []).map(tolerate),
    ];
}

/** Node selector and tolerations that put a pod on `poolKey`'s nodes. */
export function poolPlacement(poolKey: string, pool: NodePoolSpec): Placement {
    return { nodeSelector: { [NODE_POOL_LABEL]: poolKey }, tolerations: poolTolerations(poolKey, pool) };
}
