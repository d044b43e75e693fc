/**
 * The Kubernetes scheduler's decision for one pod and one node, as far as pools decide it: taints and
 * tolerations, and required node labels. Shared by the node-purpose and node-pool suites.
 */

export interface Taint { readonly key: string; readonly value?: string; readonly effect: string }
export interface Toleration { readonly key?: string; readonly operator?: "Equal" | "Exists"; readonly value?: string; readonly effect?: string }
export interface Node { readonly labels: Readonly<Record<string, string>>; readonly taints: readonly Taint[] }
export interface Pod {
    readonly tolerations: readonly Toleration[];
    /** nodeSelector, and a required node affinity `In [one value]`, which selects the same nodes. */
    readonly requiredLabels: Readonly<Record<string, string>>;
}

/** kubernetes/kubernetes staging/src/k8s.io/api/core/v1/toleration.go `Toleration.ToleratesTaint`. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.key && toleration.key !== taint.key) return false;
    if (toleration.operator === "Exists") return true;
    return (toleration.value ?? "") === (taint.value ?? "");
}

/**
 * Whether the scheduler may place the pod on the node: its NoSchedule/NoExecute taints are all tolerated
 * (pkg/scheduler/framework/plugins/tainttoleration) and the required labels match (plugins/nodeaffinity).
 */
export function schedulable(pod: Pod, node: Node): boolean {
    const blocking = node.taints.filter(t => t.effect === "NoSchedule" || t.effect === "NoExecute");
    return blocking.every(taint => pod.tolerations.some(t => tolerates(t, taint)))
        && Object.entries(pod.requiredLabels).every(([key, value]) => node.labels[key] === value);
}
