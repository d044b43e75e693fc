/** Pure: the shapes OVH's managed Kubernetes resources take, computed from config. */
import * as ovh from "@ovhcloud/pulumi-ovh";
import { cidrBlock, NodePoolPurpose } from "../config";
import { NODE_PURPOSE_LABEL, USER_TAINT } from "../platform";

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
 * The Kubernetes metadata OVH puts on a pool's nodes. OVH's API replaces the whole template, so
 * annotations, finalizers, labels and taints are always sent together (empty where unused); otherwise
 * every `up` shows a diff. User pools carry z2jh's dedicated taint, which only user pods tolerate, so
 * the hub, proxy and system pods stay on the core pool.
 */
export function nodePoolTemplate(purpose: NodePoolPurpose): ovh.types.input.CloudProject.KubeNodePoolTemplate {
    return {
        metadata: {
            annotations: {},
            finalizers: [],
            labels: { [NODE_PURPOSE_LABEL]: purpose },
        },
        spec: {
            taints: purpose === "user" ? [{ ...USER_TAINT, effect: "NoSchedule" }] : [],
            unschedulable: false,
        },
    };
}
