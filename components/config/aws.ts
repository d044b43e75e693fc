/** AWS clusters (EKS): schema and the rules that hold within one AWS cluster. */
import { z } from "zod";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../aws/autoscalerRelease";
import { commonClusterFields, kubernetesVersion } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { WithHome } from "./homeStorage";
import { AWS_ROLE_NAME_MAX } from "./names";

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
        /** New VPC: 2 or 3 availability zones; defaults to the region's a, b and c zones. */
        availabilityZones: z.array(z.string()).min(2).max(3).optional(),
        /** Existing VPC. */
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { error: "must be a VPC id such as vpc-0abc123" }).optional(),
        /** Existing VPC: private subnets for nodes and EFS mount targets, one per zone, in 2–3 zones (EFS allows one mount target per zone). */
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: "must be a subnet id such as subnet-0abc123" })).min(2).max(3).optional(),
    }).default({}),
    ...commonClusterFields,
});
export type AwsClusterSpec = WithHome<z.infer<typeof awsClusterSchema>>;

export function checkAwsCluster(key: string, cluster: AwsClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const network = cluster.network;
    if (network.vpcId && (network.vpcCidr || network.availabilityZones)) {
        problems.add([...path, "network"], "both an existing VPC (vpcId) and a new one (vpcCidr / availabilityZones) are given",
            "keep vpcId + subnetIds for an existing VPC, or vpcCidr for a new one");
    }
    if (network.vpcId && !network.subnetIds) {
        problems.add([...path, "network", "subnetIds"], "missing required field for an existing VPC",
            "list the private subnets (2–3 zones) the nodes and EFS mount targets go in");
    }
    if (network.subnetIds && !network.vpcId) {
        problems.add([...path, "network", "vpcId"], "missing required field with subnetIds", "add the VPC those subnets belong to");
    }
    if (network.availabilityZones?.some(zone => !zone.startsWith(cluster.region))) {
        problems.add([...path, "network", "availabilityZones"], `zones must be in ${cluster.region}`,
            `use zones such as ${cluster.region}a, ${cluster.region}b`);
    }
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
