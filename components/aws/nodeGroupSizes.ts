/**
 * The live desired size of each of a cluster's managed node groups, so an update sends the size the cluster
 * autoscaler set instead of a stale one.
 *
 * Why not `ignoreChanges: ["scalingConfig.desiredSize"]`: hashicorp/terraform-provider-aws
 * `internal/service/eks/node_group.go` makes `scaling_config.desired_size` Required, and `resourceNodeGroupUpdate`
 * sends the whole `scaling_config` (desired, min, max) in `UpdateNodegroupConfig` whenever any of it changes.
 * With the path ignored, that desired size is the one in the Pulumi state (the engine resets it to the old input,
 * the bridge plans it from the prior state: scripts/engineModel/ignoreChanges.ts), not the live one, so raising
 * `minNodes` above it fails ("Minimum capacity 2 can't be greater than desired size 0"), lowering `maxNodes`
 * below it fails, and any other edit can shrink a busy pool back to the size it had when last read
 * (hashicorp/terraform-provider-aws#18310 asks for exactly this clamp).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NODE_POOL_LABEL } from "../platform";

/**
 * A stable handle on a pool, on its node group and its nodes: the node group's name carries Pulumi's random
 * suffix (so a replacement can be created before the old group is deleted), and so does EKS's own nodegroup label.
 */

/** The parts of a described node group (`aws.eks.getNodeGroup`) that say which pool it is and its size. */
export interface LiveNodeGroup {
    readonly labels?: Readonly<Record<string, string>>;
    readonly scalingConfigs: readonly { readonly desiredSize: number }[];
}

/**
 * Pure: desired size by pool key. Node groups without the fleet's pool label are someone else's and ignored;
 * two groups of one pool exist only while a replacement is under way, and the larger size wins.
 */
export function liveSizesByPool(groups: readonly LiveNodeGroup[]): Record<string, number> {
    const sizes: Record<string, number> = {};
    for (const group of groups) {
        const pool = group.labels?.[NODE_POOL_LABEL];
        const desired = group.scalingConfigs[0]?.desiredSize;
        if (pool === undefined || desired === undefined) continue;
        sizes[pool] = Math.max(sizes[pool] ?? 0, desired);
    }
    return sizes;
}

/**
 * Reads every node group of the cluster through `provider`. The cluster name is an output, so a preview of a
 * cluster that does not exist yet leaves the sizes unknown instead of calling AWS (the SDK skips an invoke with
 * unknown arguments); on `up` the list is read once the cluster exists, and is empty for a new cluster.
 */
export function liveNodeGroupSizes(clusterName: pulumi.Output<string>, provider: aws.Provider): pulumi.Output<Record<string, number>> {
    return aws.eks.getNodeGroupsOutput({ clusterName }, { provider }).apply(async list => liveSizesByPool(await Promise.all(
        [...list.names].sort().map(nodeGroupName => aws.eks.getNodeGroup({ clusterName: list.clusterName, nodeGroupName }, { provider })))));
}
