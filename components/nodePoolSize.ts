/**
 * Pure: the node count the fleet asks a cloud for when it creates or updates an autoscaled pool.
 *
 * The cluster autoscaler moves a pool's desired size; the fleet owns only its bounds. Both EKS and OVH still take
 * a desired size on every update of the pool (EKS: `scaling_config.desired_size` is Required and Update sends the
 * whole block; OVH: the provider sends `desiredNodes` whenever the state holds one), and `ignoreChanges` would
 * send a stale one (see scripts/engineModel/ignoreChanges.ts). So each platform reads the live size and sends
 * it, moved only as far as the new bounds require.
 */

/**
 * The live desired size clamped to `[minNodes, maxNodes]`, or `minNodes` for a pool that does not exist yet:
 * a bounds edit always applies, and a pool the autoscaler has grown is never shrunk below what it runs unless
 * the new maximum says so.
 */
export function desiredNodeCount(live: number | undefined, pool: { readonly minNodes: number; readonly maxNodes: number }): number {
    if (live === undefined) return pool.minNodes;
    return Math.min(Math.max(live, pool.minNodes), pool.maxNodes);
}
