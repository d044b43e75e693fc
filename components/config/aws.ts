/** AWS clusters (EKS): schema and the rules that hold within one AWS cluster. */
import { z } from "zod";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../aws/autoscalerRelease";
import { formatCidr, networkAddress, parseCidr } from "../aws/cidr";
import { partitionOf } from "../aws/policies";
import { AccessLevel, parsePrincipalArn, principalArnHint } from "../aws/principals";
import { amiTypeFor, AWS_GPU_COUNTS, AWS_GPU_LABEL, isNvidiaInstanceType } from "../aws/gpuNodes";
import { defaultZones } from "../aws/zones";
import { checkCidrs } from "./cidr";
import { commonClusterFields, kubernetesVersion, NodePoolSpec, nodePoolPurpose } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { WithHome } from "./homeStorage";
import { AWS_ROLE_NAME_MAX } from "./names";

/** Who may reach the public API endpoint when the config does not say: anyone (EKS's own default). */
export const OPEN_TO_THE_WORLD = "0.0.0.0/0";

export const awsClusterSchema = z.strictObject({
    provider: z.literal("aws"),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "must be an AWS region such as us-west-2" }),
    kubernetesVersion,
    network: z.strictObject({
        /** New VPC: its CIDR block. */
        // Public subnets get 1/64 of the VPC and AWS's smallest subnet is a /28, hence /22 at most.
        vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-2])$/, {
            error: "must be an IPv4 CIDR block between /16 and /22, such as 10.10.0.0/16",
        }).optional(),
        /**
         * New VPC: 2 or 3 availability zones; defaults to the region's a, b and c zones. Existing VPC: the zone of
         * each of `subnetIds`, in the same order (optional; lets the check see one subnet per zone, and pools
         * name zones).
         */
        availabilityZones: z.array(z.string()).min(2).max(3).optional(),
        /** Existing VPC. */
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { error: "must be a VPC id such as vpc-0abc123" }).optional(),
        /** Existing VPC: private subnets for nodes and EFS mount targets, one per zone, in 2–3 zones (EFS allows one mount target per zone). */
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: "must be a subnet id such as subnet-0abc123" })).min(2).max(3).optional(),
    }).default({}),
    /** IAM roles and users with cluster-admin on the cluster (EKS access entries), besides its creator. */
    admins: z.array(z.string()).default([]),
    /** IAM roles and users with read access (Kubernetes `view`), e.g. the CI preview role. */
    viewers: z.array(z.string()).default([]),
    /** Who may reach the public API endpoint. Nodes and the fleet's own jobs use the private endpoint. */
    publicAccessCidrs: z.array(z.string()).min(1).default([OPEN_TO_THE_WORLD]),
    ...commonClusterFields,
});
export type AwsClusterSpec = WithHome<z.infer<typeof awsClusterSchema>>;

export function checkAwsCluster(key: string, cluster: AwsClusterSpec, path: readonly PathPart[], problems: Problems): void {
    checkNetwork(cluster, path, problems);
    checkPoolZones(cluster, path, problems);
    for (const [poolKey, pool] of Object.entries(cluster.nodePools)) checkAwsPool(pool, [...path, "nodePools", poolKey], problems);
    checkPrincipals(cluster, path, problems);
    cluster.publicAccessCidrs.forEach((cidr, i) => {
        const parsed = parseCidr(cidr);
        if (!parsed) {
            problems.add([...path, "publicAccessCidrs", i], `"${cidr}" is not an IPv4 CIDR block`, "write it like 203.0.113.0/24");
        } else if (networkAddress(parsed) !== parsed.base) {
            problems.add([...path, "publicAccessCidrs", i], `"${cidr}" has host bits set, which EKS refuses`,
                `use the network address, ${formatCidr(networkAddress(parsed), parsed.prefix)}`);
        }
    });
    const longest = `${key}-autoscaler`;
    if (longest.length > AWS_ROLE_NAME_MAX) {
        problems.add(path, "cluster key too long for IAM role names", `shorten it below ${AWS_ROLE_NAME_MAX - 11} characters`);
    }
    if (!(cluster.kubernetesVersion in CLUSTER_AUTOSCALER_IMAGE_TAGS)) {
        const known = Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS);
        problems.add([...path, "kubernetesVersion"], `no cluster autoscaler release is known for Kubernetes ${cluster.kubernetesVersion}`,
            `use one of ${known.join(", ")}, or add its cluster-autoscaler image tag to components/aws/autoscalerRelease.ts`);
    }
}

function checkNetwork(cluster: AwsClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const network = cluster.network;
    const at = [...path, "network"];
    if (network.vpcId && network.vpcCidr) {
        problems.add(at, "both an existing VPC (vpcId) and a new one (vpcCidr) are given",
            "keep vpcId + subnetIds for an existing VPC, or vpcCidr for a new one");
    }
    if (network.vpcId && !network.subnetIds) {
        problems.add([...at, "subnetIds"], "missing required field for an existing VPC",
            "list the private subnets (2–3 zones) the nodes and EFS mount targets go in");
    }
    if (network.subnetIds && !network.vpcId) {
        problems.add([...at, "vpcId"], "missing required field with subnetIds", "add the VPC those subnets belong to");
    }
    if (network.vpcCidr) checkCidrs([[[...at, "vpcCidr"], network.vpcCidr]], problems);
    const subnetIds = network.subnetIds ?? [];
    const repeatedSubnet = subnetIds.find((id, i) => subnetIds.indexOf(id) !== i);
    if (repeatedSubnet) {
        problems.add([...at, "subnetIds"], `${repeatedSubnet} is listed twice`, "list each subnet once, one per zone");
    }
    const zones = network.availabilityZones;
    if (!zones) return;
    if (zones.some(zone => !zone.startsWith(cluster.region))) {
        problems.add([...at, "availabilityZones"], `zones must be in ${cluster.region}`,
            `use zones such as ${cluster.region}a, ${cluster.region}b`);
    }
    zones.forEach((zone, i) => {
        // A new VPC's subnets are placed by zone letter (components/aws/network.ts): only regular zones a–f have a slot.
        if (!network.vpcId && zone.startsWith(cluster.region) && !/^[a-f]$/.test(zone.slice(cluster.region.length))) {
            problems.add([...at, "availabilityZones", i], `"${zone}" is not a zone ${cluster.region}a … ${cluster.region}f`,
                "local and wavelength zones are not supported; list regular zones only");
        }
    });
    const repeatedZone = zones.find((zone, i) => zones.indexOf(zone) !== i);
    if (repeatedZone) {
        problems.add([...at, "availabilityZones"], `${repeatedZone} is listed twice`,
            network.vpcId
                ? "EFS takes one mount target per zone, so subnetIds must be in distinct zones: list one private subnet per zone"
                : "list each zone once");
    }
    if (network.vpcId && network.subnetIds && zones.length !== network.subnetIds.length) {
        problems.add([...at, "availabilityZones"], `${zones.length} zones for ${network.subnetIds.length} subnets`,
            "with an existing VPC, availabilityZones gives the zone of each subnet in subnetIds, in the same order");
    }
}

/** Zones the cluster's private subnets are in, as far as the config tells (an existing VPC's only if listed). */
function knownZones(cluster: AwsClusterSpec): readonly string[] | undefined {
    const network = cluster.network;
    if (network.vpcId) return network.availabilityZones;
    return network.availabilityZones ?? defaultZones(cluster.region);
}

function checkPoolZones(cluster: AwsClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const zones = knownZones(cluster);
    const coreZones = new Map<string, string>();
    for (const [poolKey, pool] of Object.entries(cluster.nodePools)) {
        const at = [...path, "nodePools", poolKey, "zones"];
        const isCore = nodePoolPurpose(poolKey, pool) === "core";
        if (pool.zones) {
            if (!zones) {
                problems.add(at, "the zones of an existing VPC's subnets are not known here",
                    "add network.availabilityZones: the zone of each of network.subnetIds, in the same order");
            } else {
                for (const zone of pool.zones.filter(z => !zones.includes(z))) {
                    problems.add(at, `the cluster has no subnet in ${zone}`, `use one of ${zones.join(", ")}`);
                }
            }
            if (isCore && pool.zones.length > 1) {
                problems.add(at, "a core pool runs in one zone: the hub's database is an EBS volume, which stays in the zone it was made in",
                    `keep one zone, e.g. zones: [${pool.zones[0]}]`);
            }
        }
        // Where zones are unknown, the default core subnet stands for its zone (a pool's own zones are reported above).
        if (isCore && (zones || !pool.zones)) {
            coreZones.set(poolKey, pool.zones?.[0] ?? zones?.[0] ?? cluster.network.subnetIds?.[0] ?? "");
        }
    }
    if (new Set(coreZones.values()).size > 1) {
        problems.add([...path, "nodePools"], `core pools run in different zones (${[...coreZones].map(([k, z]) => `${k}: ${z}`).join(", ")}); ` +
            "a hub moved to another core pool could not reach its EBS database volume", "give every core pool the same zones: [<zone>]");
    }
}

/** GPUs and spot instance types: the AMI follows machineType, so every type must take the same AMI and GPUs. */
function checkAwsPool(pool: NodePoolSpec, at: readonly PathPart[], problems: Problems): void {
    if (pool.labels && AWS_GPU_LABEL in pool.labels) {
        problems.add([...at, "labels", AWS_GPU_LABEL], "the fleet sets this label on GPU pools, and the cluster autoscaler waits for GPUs on nodes that carry it",
            "remove it; set gpu on the pool instead");
    }
    const nvidia = isNvidiaInstanceType(pool.machineType);
    if (pool.gpu) {
        if (!nvidia) {
            problems.add([...at, "gpu"], `${pool.machineType} has no NVIDIA GPU`, "use a GPU instance type such as g4dn.xlarge, g5.xlarge or g6.xlarge, or remove gpu");
        }
        if (pool.gpu.type !== undefined) {
            problems.add([...at, "gpu", "type"], "on AWS the instance type decides the GPU", `remove it; ${pool.machineType} brings its own`);
        }
        const known = AWS_GPU_COUNTS[pool.machineType];
        if (known !== undefined && known !== pool.gpu.count) {
            problems.add([...at, "gpu", "count"], `${pool.machineType} has ${known} GPU${known === 1 ? "" : "s"}, not ${pool.gpu.count}`, `set count: ${known}`);
        }
    } else if (nvidia) {
        problems.add(at, `${pool.machineType} is a GPU instance type but the pool has no gpu`,
            `add gpu: { count: ${AWS_GPU_COUNTS[pool.machineType] ?? 1} }, so its nodes get the GPU taint and device plugin and CPU-only pods stay off them`);
    }
    (pool.instanceTypes ?? []).forEach((type, i) => {
        if (type === pool.machineType || pool.instanceTypes!.indexOf(type) < i) {
            problems.add([...at, "instanceTypes", i], `${type} is listed twice (machineType is always the first type)`, "list each other type once");
        } else if (amiTypeFor(type) !== amiTypeFor(pool.machineType)) {
            problems.add([...at, "instanceTypes", i], `${type} needs the ${amiTypeFor(type)} AMI and ${pool.machineType} the ${amiTypeFor(pool.machineType)} AMI; a node group has one`,
                "list types of the same architecture and GPU kind as machineType, or make another pool");
        } else if (pool.gpu && AWS_GPU_COUNTS[type] !== undefined && AWS_GPU_COUNTS[type] !== pool.gpu.count) {
            problems.add([...at, "instanceTypes", i], `${type} has ${AWS_GPU_COUNTS[type]} GPUs and the pool promises ${pool.gpu.count}`,
                "list types with the same number of GPUs");
        }
    });
}

function checkPrincipals(cluster: AwsClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const partition = partitionOf(cluster.region);
    const seen = new Map<string, AccessLevel>();
    for (const level of ["admins", "viewers"] as const) {
        cluster[level].forEach((arn, i) => {
            const at = [...path, level, i];
            const principal = parsePrincipalArn(arn);
            if (!principal) {
                problems.add(at, `"${arn}" is not an IAM role or user ARN`, principalArnHint(arn));
                return;
            }
            if (principal.partition !== partition) {
                problems.add(at, `"${arn}" is in the ${principal.partition} partition, and ${cluster.region} is in ${partition}`,
                    `use the principal's arn:${partition}:… ARN`);
            }
            const earlier = seen.get(arn);
            if (earlier) {
                problems.add(at, `"${arn}" is also listed in ${earlier}`,
                    earlier === level ? "list it once" : "EKS keeps one access entry per principal: keep it in admins or in viewers");
            }
            seen.set(arn, level);
        });
    }
}
