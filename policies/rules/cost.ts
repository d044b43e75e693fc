/**
 * Cost: user node pools should be able to shrink to nothing when nobody is working. Advisory (a warm node
 * makes the first spawn of the day fast), and off where a stack's policy config says so.
 */
import { ResourceFacts, at, label, resourceRule } from "./common";

const PURPOSE_LABEL = "hub.jupyter.org/node-purpose";
/** z2jh's user taint, in the `/` form and the underscore form GKE pools use. */
const USER_TAINT_KEYS = ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"];

interface PoolShape {
    readonly labels?: Record<string, string>;
    readonly taints?: { key?: string; value?: string }[];
    /** The smallest size the pool keeps; undefined when it does not autoscale. */
    readonly minimum?: number;
    /** Where the minimum is set, for the message. */
    readonly minimumField: string;
}

/** Labels, taints and minimum size of an EKS node group, GKE node pool or OVH node pool. */
function poolShape(resource: ResourceFacts): PoolShape | undefined {
    const props = resource.props;
    switch (resource.type) {
        case "aws:eks/nodeGroup:NodeGroup":
            return { labels: props.labels, taints: props.taints, minimum: at(props, "scalingConfig.minSize"), minimumField: "scalingConfig.minSize" };
        case "gcp:container/nodePool:NodePool":
            return {
                labels: at(props, "nodeConfig.labels"), taints: at(props, "nodeConfig.taints"),
                minimum: props.autoscaling ? at(props, "autoscaling.minNodeCount") ?? at(props, "autoscaling.totalMinNodeCount") ?? 0 : undefined,
                minimumField: "autoscaling.minNodeCount",
            };
        case "ovh:CloudProject/kubeNodePool:KubeNodePool":
            return {
                labels: at(props, "template.metadata.labels"), taints: at(props, "template.spec.taints"),
                minimum: props.autoscale === false ? undefined : props.minNodes ?? 0, minimumField: "minNodes",
            };
        default:
            return undefined;
    }
}

export const userPoolsScaleToZero = resourceRule({
    name: "user-pools-scale-to-zero",
    description: "User node pools autoscale down to zero nodes, so an idle hub costs no user nodes.",
    enforcementLevel: "advisory",
    check: resource => {
        const pool = poolShape(resource);
        if (!pool) return [];
        const isUserPool = pool.labels?.[PURPOSE_LABEL] === "user"
            || (pool.taints ?? []).some(taint => USER_TAINT_KEYS.includes(taint.key ?? "") && taint.value === "user");
        if (!isUserPool) return [];
        if (pool.minimum === undefined) {
            return [`${label(resource)} is a user pool with a fixed size: enable autoscaling with a minimum of 0 (minNodes: 0 in the cluster's nodePools)`];
        }
        return pool.minimum > 0
            ? [`${label(resource)} is a user pool that keeps ${pool.minimum} node(s) running (${pool.minimumField}): set minNodes: 0 in the cluster's nodePools`]
            : [];
    },
});
