/**
 * Pure: OVH Public Cloud's NVIDIA GPU flavors and their GPU count (OVHcloud Public Cloud "GPU instances" price
 * list: t1/t2 Tesla V100(S), a10, a100, l4, l40s, h100, rtx5000). The flavor name gives the family; the table
 * gives the count for the sizes the fleet knows (extend it when a stack uses another). MKS nodes of these
 * flavors have the GPU but no driver: the NVIDIA GPU operator installs it (gpuOperator.ts).
 */

const GPU_FAMILIES = ["t1", "t1-le", "t2", "t2-le", "a10", "a100", "l4", "l40s", "h100", "rtx5000"];

/** Flavor -> GPUs per node. */
export const OVH_GPU_COUNTS: Readonly<Record<string, number>> = {
    "t1-45": 1, "t1-90": 2, "t1-180": 4,
    "t1-le-45": 1, "t1-le-90": 2, "t1-le-180": 4,
    "t2-45": 1, "t2-90": 2, "t2-180": 4,
    "t2-le-45": 1, "t2-le-90": 2, "t2-le-180": 4,
    "a10-45": 1, "a10-90": 2, "a10-180": 4,
    "a100-180": 1, "a100-360": 2, "a100-720": 4,
    "l4-90": 1, "l4-180": 2, "l4-360": 4,
    "l40s-90": 1, "l40s-180": 2, "l40s-360": 4,
    "h100-380": 1, "h100-760": 2, "h100-1520": 4,
    "rtx5000-28": 1, "rtx5000-56": 2, "rtx5000-84": 3,
};

/** Whether an OVH flavor has NVIDIA GPUs (`l40s-180`, `t2-le-45`, …). */
export function isOvhGpuFlavor(flavor: string): boolean {
    const family = flavor.replace(/-\d+$/, "");
    return GPU_FAMILIES.includes(family);
}
