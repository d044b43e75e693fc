/**
 * Machine types the fleet knows the size of, so a profile asking for more than a node can give fails in
 * config, not as a server that never schedules. Extend the table with the types your stacks use; a type not
 * listed skips the size checks.
 *
 * Sizes: AWS instance types (aws.amazon.com/ec2/instance-types: memory-optimised R, general M, accelerated
 * G), GCE machine types (cloud.google.com/compute/docs/general-purpose-machines, memory-optimised n2-highmem,
 * accelerator-optimised g2), OVHcloud flavors (b3-N: N GB and N/4 vCores, r3-N: N GB and N/8 vCores;
 * t1-45: 8 vCores, 45 GB, one V100). `maxPods` is the EKS default pods per node of the VPC CNI
 * (amazon-eks-ami `eni-max-pods.txt`), which sizes the kubelet's memory reservation there.
 */
import { ProviderName } from "./names";

export interface MachineType {
    readonly vcpu: number;
    /** Memory in GiB (GB where the cloud says GB, taken as GiB: the difference is below the reservation). */
    readonly memoryGiB: number;
    readonly gpus?: number;
    /** AWS: pods per node (VPC CNI without prefix delegation). */
    readonly maxPods?: number;
}

type CloudProvider = Exclude<ProviderName, "kubernetes">;

export const MACHINE_TYPES: Readonly<Record<CloudProvider, Readonly<Record<string, MachineType>>>> = {
    aws: {
        "m5.large": { vcpu: 2, memoryGiB: 8, maxPods: 29 },
        "m5.xlarge": { vcpu: 4, memoryGiB: 16, maxPods: 58 },
        "r5.large": { vcpu: 2, memoryGiB: 16, maxPods: 29 },
        "r5.xlarge": { vcpu: 4, memoryGiB: 32, maxPods: 58 },
        "r5.2xlarge": { vcpu: 8, memoryGiB: 64, maxPods: 58 },
        "r5.4xlarge": { vcpu: 16, memoryGiB: 128, maxPods: 234 },
        "r5a.2xlarge": { vcpu: 8, memoryGiB: 64, maxPods: 58 },
        "r5n.2xlarge": { vcpu: 8, memoryGiB: 64, maxPods: 58 },
        "r6i.4xlarge": { vcpu: 16, memoryGiB: 128, maxPods: 234 },
        "r7g.2xlarge": { vcpu: 8, memoryGiB: 64, maxPods: 58 },
        "g4dn.xlarge": { vcpu: 4, memoryGiB: 16, gpus: 1, maxPods: 29 },
        "g5.xlarge": { vcpu: 4, memoryGiB: 16, gpus: 1, maxPods: 58 },
    },
    gcp: {
        "n2-standard-2": { vcpu: 2, memoryGiB: 8 },
        "n2-standard-4": { vcpu: 4, memoryGiB: 16 },
        "n2-highmem-4": { vcpu: 4, memoryGiB: 32 },
        "n2-highmem-16": { vcpu: 16, memoryGiB: 128 },
        "g2-standard-4": { vcpu: 4, memoryGiB: 16, gpus: 1 },
    },
    ovh: {
        "b3-8": { vcpu: 2, memoryGiB: 8 },
        "b3-16": { vcpu: 4, memoryGiB: 16 },
        "r3-32": { vcpu: 4, memoryGiB: 32 },
        "r3-64": { vcpu: 8, memoryGiB: 64 },
        "t1-45": { vcpu: 8, memoryGiB: 45, gpus: 1 },
    },
};

export function machineType(provider: ProviderName, name: string): MachineType | undefined {
    return provider === "kubernetes" ? undefined : MACHINE_TYPES[provider][name];
}

/** The kubelet's hard eviction threshold, held back on every cloud (kubelet default `memory.available<100Mi`). */
const EVICTION_GIB = 100 / 1024;
/** EKS AMIs reserve for the kubelet 255 MiB plus 11 MiB per pod the node may run (amazon-eks-ami, `get_memory_mebibytes_to_reserve`). */
const EKS_MEMORY_MIB = (maxPods: number) => 255 + 11 * maxPods;

/** The sum of each tier's share of the part of `amount` within it; tiers as [upper bound, share], ascending. */
function tiered(amount: number, tiers: readonly [upTo: number, share: number][]): number {
    let reserved = 0;
    let below = 0;
    for (const [upTo, share] of tiers) {
        reserved += Math.max(0, Math.min(amount, upTo) - below) * share;
        below = upTo;
    }
    return reserved;
}

/** GKE's memory reservation (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes); used for OVH too, as the larger estimate. */
const GKE_MEMORY_TIERS: readonly [number, number][] = [[4, 0.25], [8, 0.2], [16, 0.1], [128, 0.06], [Infinity, 0.02]];
/** CPU kept for the kubelet and system: 6% of the first core, 1% of the next, 0.5% of the next two, 0.25% above four (GKE and EKS alike). */
const CPU_TIERS: readonly [number, number][] = [[1, 0.06], [2, 0.01], [4, 0.005], [Infinity, 0.0025]];

/**
 * What pods can be guaranteed on one node of the type: its size less the kubelet's and system reservation
 * and the eviction threshold. DaemonSets (network plugin, kube-proxy, CSI drivers) take a little more, so a
 * guarantee right at this bound may still wait for a node; anything above it never schedules.
 */
export function allocatable(provider: ProviderName, type: MachineType): { readonly cpu: number; readonly memoryGiB: number } {
    const memoryReserve = provider === "aws" && type.maxPods !== undefined
        ? EKS_MEMORY_MIB(type.maxPods) / 1024 : tiered(type.memoryGiB, GKE_MEMORY_TIERS);
    return { cpu: type.vcpu - tiered(type.vcpu, CPU_TIERS), memoryGiB: type.memoryGiB - memoryReserve - EVICTION_GIB };
}
