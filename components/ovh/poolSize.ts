/**
 * The desired node count an OVH pool is created or updated with: the live count, clamped to the configured bounds.
 *
 * Why not `ignoreChanges: ["desiredNodes"]`, or leaving `desiredNodes` out: ovh/terraform-provider-ovh
 * `ovh/resource_cloud_project_kube_nodepool.go` declares `desired_nodes` Optional+Computed, and
 * `CloudProjectKubeNodePoolUpdateOpts.FromResource` (`ovh/types_cloud_project_kube_nodepool.go`) puts it in every
 * PUT through `GetOkExists`, which finds the value of the prior state when the program gives none (and the value
 * of the prior state is what an ignored path plans to: scripts/engineModel/ignoreChanges.ts). That is the count
 * read at the last create, update or refresh, not the autoscaler's current one. The API refuses a count above
 * `maxNodes` (the provider's own fix, ovh/terraform-provider-ovh#1241, caps it only when none is sent) and, per
 * the provider's documentation, one below `minNodes`; OVH said it raises one below `minNodes` to the minimum
 * (ovh/public-cloud-roadmap#267), which would shrink a busy pool. Sending the clamped live count avoids all three.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { desiredNodeCount } from "../nodePoolSize";

/**
 * How the provider's `dataSourceCloudProjectKubeNodePoolRead` (`ovh/data_cloud_project_kube_nodepool.go`) reports
 * that the cluster has no pool of that name: the one error that means "not created yet". Any other error (no
 * credentials, API down) fails the deployment rather than falling back to `minNodes` and shrinking a live pool.
 */
const POOL_NOT_FOUND = /the nodepool named \S+ cannot be found/;

export interface PoolBounds {
    readonly minNodes: number;
    readonly maxNodes: number;
}

/**
 * Reads the pool named `poolName` on the cluster `kubeId` and returns its live desired count clamped to `bounds`,
 * or `minNodes` when the pool does not exist yet. The cluster id is an output: a preview of a cluster not yet
 * created leaves the count unknown rather than calling OVH.
 */
export function poolDesiredNodes(serviceName: string, kubeId: pulumi.Output<string>, poolName: string, bounds: PoolBounds,
    opts: pulumi.InvokeOptions): pulumi.Output<number> {
    return kubeId.apply(id => ovh.cloudproject.getKubeNodePool({ serviceName, kubeId: id, name: poolName }, opts).then(
        pool => desiredNodeCount(pool.desiredNodes, bounds),
        (error: unknown) => {
            if (error instanceof Error && POOL_NOT_FOUND.test(error.message)) return desiredNodeCount(undefined, bounds);
            throw error;
        }));
}
