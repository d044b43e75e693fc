/**
 * Egress rules user servers need on an existing cluster beyond z2jh's defaults, as
 * `singleuser.networkPolicy.egress` entries (NetworkPolicyEgressRule objects).
 *
 * z2jh's user policy (zero-to-jupyterhub-k8s 4.4.0 values.yaml `singleuser.networkPolicy.egressAllowRules`,
 * rendered by templates/_helpers-netpol.tpl) allows DNS on port 53 only, and every IPv4 address except the
 * private ranges (10/8, 172.16/12, 192.168/16) and nothing over IPv6. On-premises services users talk to
 * directly often sit at exactly those addresses.
 *
 * NFS servers (home, extraMounts) need no rule: kubelet mounts NFS volumes from the node, outside the pod's
 * network namespace, where NetworkPolicy does not apply. Opening them to user pods would only let users
 * speak NFS to the server themselves. Vault needs none either: the hub reads it, and the hub's policy keeps
 * the chart's `privateIPs: true`.
 */
import { isIP } from "net";

/** A NetworkPolicyEgressRule, as z2jh passes it through. */
export type EgressRule = {
    readonly to: readonly Record<string, unknown>[];
    readonly ports?: readonly { readonly port: number; readonly protocol: "TCP" | "UDP" }[];
};

/**
 * OpenShift's cluster DNS: CoreDNS pods of the DNS operator's `default` daemonset in `openshift-dns`,
 * listening on 5353 (TCP and UDP) behind the `dns-default` service's port 53. NetworkPolicy sees the
 * pod's port, after the service's translation, so z2jh's port-53 rule never matches them.
 * (openshift/cluster-dns-operator pkg/manifests/assets/dns/daemonset.yaml containerPort 5353,
 * networkpolicy-allow.yaml, namespace.yaml; pkg/operator/controller/names.go `controllerDaemonSetLabel`.)
 */
export const OPENSHIFT_DNS_EGRESS: EgressRule = {
    to: [{
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
        podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
    }],
    ports: [{ port: 5353, protocol: "UDP" }, { port: 5353, protocol: "TCP" }],
};

/** Whether z2jh's default user policy refuses `address` (an IP literal): private IPv4, or any IPv6. */
export function blockedByDefault(address: string): boolean {
    const version = isIP(address);
    if (version === 6) return true;
    if (version !== 4) return false;
    const [a, b] = address.split(".").map(Number);
    return a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168);
}

/** A single address as a CIDR. */
function hostCidr(address: string): string {
    return `${address}/${isIP(address) === 6 ? 128 : 32}`;
}

/**
 * The S3 endpoint's address and port when its host is an IP literal that z2jh's user policy refuses;
 * undefined for a hostname (its addresses are not known until it is resolved, in the cluster) or a
 * public address.
 */
export function privateEndpoint(url: string): { cidr: string; port: number } | undefined {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    if (!blockedByDefault(host)) return undefined;
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === "http:" ? 80 : 443;
    return { cidr: hostCidr(host), port };
}

export interface UserEgressInput {
    /** The cluster runs OpenShift: its DNS listens on 5353. */
    readonly openshift: boolean;
    /** The cluster's S3-compatible endpoint URL, if any. */
    readonly s3Endpoint?: string;
    /** `clusters.<key>.privateEgress`: CIDRs user servers may reach on any port. */
    readonly privateEgress: readonly string[];
}

/** The extra user egress rules for a cluster, in a fixed order: DNS, the S3 endpoint, then privateEgress. */
export function userEgressRules(input: UserEgressInput): EgressRule[] {
    const rules: EgressRule[] = [];
    if (input.openshift) rules.push(OPENSHIFT_DNS_EGRESS);
    const s3 = input.s3Endpoint ? privateEndpoint(input.s3Endpoint) : undefined;
    if (s3) rules.push({ to: [{ ipBlock: { cidr: s3.cidr } }], ports: [{ port: s3.port, protocol: "TCP" }] });
    if (input.privateEgress.length > 0) rules.push({ to: input.privateEgress.map(cidr => ({ ipBlock: { cidr } })) });
    return rules;
}
