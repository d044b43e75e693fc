/** Pure: the shapes OVH's managed Kubernetes resources take, computed from config. */
import * as ovh from "@ovhcloud/pulumi-ovh";
import { cidrBlock, NodePoolSpec } from "../config";
import { poolScheduling } from "../nodePoolScheduling";

/**
 * The DHCP range of a private subnet: all of `cidr` but the network address, the first host (the subnet's gateway
 * IP, which OpenStack gives the first host by default and the OVH Gateway takes) and broadcast.
 */
export function subnetRange(cidr: string): { readonly start: string; readonly end: string } {
    const { first, size } = cidrBlock(cidr);
    const toIp = (n: number) => [24, 16, 8, 0].map(shift => Math.floor(n / 2 ** shift) % 256).join(".");
    return { start: toIp(first + 2), end: toIp(first + size - 2) };
}

/**
 * The Kubernetes metadata OVH puts on a pool's nodes: the fleet's and the pool's labels and taints
 * (nodePoolScheduling.ts). OVH's API replaces the whole template, so annotations, finalizers, labels and taints
 * are always sent together (empty where unused); otherwise every `up` shows a diff.
 */
export function nodePoolTemplate(poolKey: string, pool: NodePoolSpec): ovh.types.input.CloudProject.KubeNodePoolTemplate {
    const scheduling = poolScheduling(poolKey, pool);
    return {
        metadata: {
            annotations: {},
            finalizers: [],
            labels: { ...scheduling.labels },
        },
        spec: {
            taints: scheduling.taints.map(t => ({ key: t.key, value: t.value, effect: t.effect })),
            unschedulable: false,
        },
    };
}

/**
 * The availability zones of MKS's 3-AZ regions (OVH "Managed Kubernetes Service in 3-AZ regions"; zone names as in
 * ovh/terraform-provider-ovh docs/resources/cloud_project_kube_nodepool.md, `availability_zones`). 1-AZ regions
 * (GRA11, DE1, BHS5 …) have none to choose.
 */
export const MKS_REGION_ZONES: Readonly<Record<string, readonly string[]>> = {
    "EU-WEST-PAR": ["eu-west-par-a", "eu-west-par-b", "eu-west-par-c"],
    "EU-SOUTH-MIL": ["eu-south-mil-a", "eu-south-mil-b", "eu-south-mil-c"],
};

/**
 * The zone list a pool is created with: in a 3-AZ region the pool's own zone, or the region's first (the provider
 * makes `availabilityZones` mandatory there and takes one zone per pool); nothing in a 1-AZ region.
 */
export function poolAvailabilityZones(region: string, pool: Pick<NodePoolSpec, "zones">): string[] | undefined {
    const zones = MKS_REGION_ZONES[region];
    if (!zones) return undefined;
    return pool.zones ? [...pool.zones] : [zones[0]];
}
