/**
 * Pure: what an EKS GPU pool needs beyond a plain pool. The NVIDIA AMI (drivers and container toolkit, no device
 * plugin: that is devicePlugin.ts), the GPU count of the instance types the example stacks and tests use, and the
 * node-template tags the cluster autoscaler reads to start a node for a pool at zero.
 */
import { NodePoolSpec } from "../config/clusterFields";
import { PoolScheduling, poolScheduling } from "../nodePoolScheduling";

/** The NVIDIA GPU instance families: g4dn, g5, g5g, g6, g6e, gr6, p3, p4d, p5 … (not inf/trn: those are Neuron). */
export function isNvidiaInstanceType(machineType: string): boolean {
    return /^(g|gr|p)\d/.test(machineType.split(".")[0]);
}

/**
 * The EKS AMI type for an instance type. EKS defaults every node group to x86 without GPU drivers, so a
 * Graviton (`m7g`, `r8gd`, `t4g`, `a1`) or NVIDIA (`g5`, `p4d`) pool would never get a Ready node otherwise.
 * The values are EKS's `AMITypes` (aws-sdk-go-v2 service/eks/types, which terraform-provider-aws validates
 * `ami_type` against; the installed @pulumi/aws types it as a plain string).
 */
export function amiTypeFor(machineType: string): string {
    const family = machineType.split(".")[0];
    const arm = family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*(-flex)?$/.test(family);
    if (isNvidiaInstanceType(machineType)) return arm ? "AL2023_ARM_64_NVIDIA" : "AL2023_x86_64_NVIDIA";
    return arm ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/**
 * GPUs per instance for the types the example stacks and tests use (EC2 "Accelerated computing" instance
 * specifications); extend it when a stack uses another. A type missing here is not checked.
 */
export const AWS_GPU_COUNTS: Readonly<Record<string, number>> = {
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1, "g4dn.16xlarge": 1, "g4dn.12xlarge": 4, "g4dn.metal": 8,
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.16xlarge": 1, "g5.12xlarge": 4, "g5.24xlarge": 4, "g5.48xlarge": 8,
    "g6.xlarge": 1, "g6.2xlarge": 1, "g6.4xlarge": 1, "g6.8xlarge": 1, "g6.16xlarge": 1, "g6.12xlarge": 4, "g6.24xlarge": 4, "g6.48xlarge": 8,
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8,
};

/**
 * The label the cluster autoscaler's AWS provider reads to know a node has GPUs
 * (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go `GPULabel`): a new GPU node
 * carrying it counts as not ready until its device plugin advertises the GPUs, so a pending GPU pod does not make
 * the autoscaler start a second node meanwhile. Its value names the GPU, as in that file's `availableGPUTypes`.
 */
export const AWS_GPU_LABEL = "k8s.amazonaws.com/accelerator";

/** The GPU of each NVIDIA instance family, as `availableGPUTypes` (same file) names it. */
const FAMILY_ACCELERATORS: Readonly<Record<string, string>> = {
    g4dn: "nvidia-tesla-t4", g5: "nvidia-a10g", g6: "nvidia-l4", g6e: "nvidia-l40s", p3: "nvidia-tesla-v100", p4d: "nvidia-tesla-a100",
};

/**
 * The pool's labels and taints on EKS: the fleet's and the pool's (nodePoolScheduling.ts), plus the autoscaler's
 * GPU label on GPU pools (its value only names the GPU; a family missing above is labelled `nvidia`).
 */
export function eksPoolScheduling(poolKey: string, pool: NodePoolSpec): PoolScheduling {
    const scheduling = poolScheduling(poolKey, pool);
    if (!pool.gpu) return scheduling;
    const labels: Record<string, string> = { ...scheduling.labels, [AWS_GPU_LABEL]: FAMILY_ACCELERATORS[pool.machineType.split(".")[0]] ?? "nvidia" };
    return { ...scheduling, labels: Object.fromEntries(Object.keys(labels).sort().map(key => [key, labels[key]])) };
}

/** The prefix of the Auto Scaling group tags that describe a node the autoscaler has not seen. */
const NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template";

/**
 * The Auto Scaling group tags that tell the cluster autoscaler what a node of this pool will look like while the
 * pool has none (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/aws_manager.go `buildNodeFromTemplate`:
 * `extractLabelsFromAsg`, `extractTaintsFromAsg` with values `<value>:<Effect>`, `extractAllocatableResourcesFromAsg`).
 *
 * For a managed node group it also calls `DescribeNodegroup`, but that answer's taints keep the EKS API's effect
 * spelling (`NO_SCHEDULE`; aws_wrapper.go `getManagedNodegroupInfo` copies it as is), which the scheduler's taint
 * filter does not know, so from zero the pool looks untainted (kubernetes/autoscaler#6481): the autoscaler would
 * start GPU or dask nodes for pods that can never run there. The tags carry the taints in Kubernetes spelling.
 * The GPU count comes from the autoscaler's own instance table too; the tag states it where the fleet knows it.
 */
export function autoscalerTemplateTags(pool: NodePoolSpec, scheduling: PoolScheduling): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(scheduling.labels)) tags[`${NODE_TEMPLATE}/label/${key}`] = value;
    for (const taint of scheduling.taints) tags[`${NODE_TEMPLATE}/taint/${taint.key}`] = `${taint.value}:${taint.effect}`;
    if (pool.gpu) tags[`${NODE_TEMPLATE}/resources/nvidia.com/gpu`] = String(pool.gpu.count);
    return Object.fromEntries(Object.keys(tags).sort().map(key => [key, tags[key]]));
}

