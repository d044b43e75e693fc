/** OVHcloud clusters (MKS): schema, research-group access, and the rules that hold within one OVH cluster. */
import { z } from "zod";
import { closestMatch } from "../util";
import { isOvhGpuFlavor, OVH_GPU_COUNTS } from "../ovh/gpuFlavors";
import { MKS_REGION_ZONES } from "../ovh/kubeSpec";
import { bucketSchema, commonClusterFields, kubernetesVersion, NodePoolSpec } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { WithHome } from "./homeStorage";
import { AuthSpec, HubSpec } from "./hub";
import { DNS_LABEL, GITHUB_LOGIN } from "./names";

/**
 * The oldest minor version OVH still supports: "Supported versions: 1.35, 1.34, 1.33" when 1.35 came out
 * (ovh/public-cloud-roadmap#1094, April 2026). A new cluster on an older one would be refused or force-upgraded,
 * and the provider upgrades an existing cluster one minor version per `up`
 * (ovh/terraform-provider-ovh ovh/resource_cloud_project_kube.go, resourceCloudProjectKubeUpdate).
 */
const OVH_MIN_KUBERNETES_VERSION = "1.33";

/**
 * Ranges MKS uses inside every cluster, which a private network must not overlap: OVH's "Known limits" guide,
 * "Known not compliant IP ranges" (ovh/docs pages/public_cloud/containers_orchestration/managed_kubernetes/
 * known-limits/guide.en-gb.md).
 */
const MKS_RESERVED_RANGES: Readonly<Record<string, string>> = {
    "10.2.0.0/16": "MKS pods",
    "10.3.0.0/16": "MKS services",
    "172.17.0.0/16": "the Docker daemon on MKS nodes",
};

/** MKS regions: 1-AZ (GRA11, DE1, BHS5) and 3-AZ (EU-WEST-PAR, EU-SOUTH-MIL). */
const MKS_REGION = /^(?:[A-Z]+\d*|[A-Z]+(?:-[A-Z]+){2})$/;
/** Object Storage regions: 1-AZ (gra, de, bhs) and 3-AZ (eu-west-par, eu-south-mil). */
const S3_REGION = /^[a-z]+(?:-[a-z]+){0,2}$/;

const accessGroupSchema = z.strictObject({
    /** Hub usernames (lowercase GitHub logins) in this group. Not allowed on `default`. */
    members: z.array(z.string().min(1)).optional(),
    /** Bucket keys this group may read. */
    read: z.array(z.string()).optional(),
    /** Bucket keys this group may read and write. */
    write: z.array(z.string()).optional(),
    /** Full control of every bucket of the cluster. */
    admin: z.boolean().optional(),
});
export type AccessGroupSpec = z.infer<typeof accessGroupSchema>;

const ovhBucketSchema = bucketSchema.extend({
    /**
     * The bucket exists already (made by another tool, e.g. the GFTS OpenTofu deployment): adopt it (Pulumi's
     * `import` option) instead of creating it. Harmless once adopted, so it may stay.
     */
    import: z.boolean().optional(),
});

export const ovhClusterSchema = z.strictObject({
    provider: z.literal("ovh"),
    /** The OVH Public Cloud project id. */
    serviceName: z.string().regex(/^[0-9a-f]{32}$/, { error: "must be the 32-character OVH project id" }),
    region: z.string().regex(MKS_REGION, { error: "must be an OVH region such as GRA11 or EU-WEST-PAR" }),
    /** Required: OVH's default is its newest version, so an unpinned cluster would change under a later `up`. */
    kubernetesVersion,
    updatePolicy: z.enum(["ALWAYS_UPDATE", "MINIMAL_DOWNTIME", "NEVER_UPDATE"]).default("MINIMAL_DOWNTIME"),
    s3: z.strictObject({
        region: z.string().regex(S3_REGION, { error: "must be an OVH Object Storage region such as gra or eu-west-par" }),
        /** Defaults to https://s3.<region>.io.cloud.ovh.net. */
        endpoint: z.url().optional(),
    }),
    network: z.strictObject({
        /** The network's VLAN in the project's vRack; no default, since 0 is often the project's existing network. */
        vlanId: z.number().int().min(0).max(4000),
        cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/, {
            error: "must be an IPv4 CIDR block such as 10.0.0.0/16",
        }).default("10.0.0.0/16"),
    }),
    accessGroups: z.record(z.string(), accessGroupSchema).optional(),
    ...commonClusterFields,
    buckets: z.record(z.string(), ovhBucketSchema).default({}),
});
export type OvhClusterSpec = WithHome<z.infer<typeof ovhClusterSchema>>;

/** An IPv4 CIDR block as its first address and size, both as numbers. */
export function cidrBlock(cidr: string): { readonly first: number; readonly size: number } {
    const [address, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const base = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    return { first: base - (base % size), size };
}

function overlaps(a: string, b: string): boolean {
    const [x, y] = [cidrBlock(a), cidrBlock(b)];
    return x.first < y.first + y.size && y.first < x.first + x.size;
}

function minorVersion(version: string): number {
    return Number(version.split(".")[1]);
}

export function checkOvhCluster(cluster: OvhClusterSpec, path: readonly PathPart[], problems: Problems): void {
    if (minorVersion(cluster.kubernetesVersion) < minorVersion(OVH_MIN_KUBERNETES_VERSION)) {
        problems.add([...path, "kubernetesVersion"], `OVH no longer supports Kubernetes ${cluster.kubernetesVersion}`,
            `use ${OVH_MIN_KUBERNETES_VERSION} or later; an existing cluster moves up one minor version per pulumi up`);
    }
    const octets = cluster.network.cidr.split("/")[0].split(".").map(Number);
    if (octets.some(octet => octet > 255)) {
        problems.add([...path, "network", "cidr"], `${cluster.network.cidr} is not an IPv4 address block`, "use a block such as 10.0.0.0/16");
    } else {
        for (const [reserved, user] of Object.entries(MKS_RESERVED_RANGES)) {
            if (overlaps(cluster.network.cidr, reserved)) {
                problems.add([...path, "network", "cidr"], `${cluster.network.cidr} overlaps ${reserved}, which MKS uses for ${user}`,
                    "choose a block outside 10.2.0.0/16, 10.3.0.0/16 and 172.17.0.0/16, such as 10.0.0.0/16 or 192.168.0.0/16");
            }
        }
    }
    checkAccessGroups(cluster, path, problems);
    for (const [poolKey, pool] of Object.entries(cluster.nodePools)) checkMksPool(cluster, pool, [...path, "nodePools", poolKey], problems);
}

/** Zones as the region has them, and GPU flavors. */
function checkMksPool(cluster: OvhClusterSpec, pool: NodePoolSpec, at: readonly PathPart[], problems: Problems): void {
    const regionZones = MKS_REGION_ZONES[cluster.region];
    if (pool.zones && !regionZones) {
        problems.add([...at, "zones"], `${cluster.region} is a one-zone region: every node runs in it, and MKS offers no zone choice there`,
            "remove zones; zones exist in the 3-AZ regions (EU-WEST-PAR, EU-SOUTH-MIL)");
    } else if (pool.zones && regionZones) {
        if (pool.zones.length > 1) {
            problems.add([...at, "zones"], "an MKS pool runs in one zone (the provider takes one availability zone per pool)",
                `make one pool per zone, e.g. zones: [${pool.zones[0]}]`);
        }
        for (const zone of pool.zones.filter(z => !regionZones.includes(z))) {
            problems.add([...at, "zones"], `${zone} is not a zone of ${cluster.region}`, `use one of ${regionZones.join(", ")}`);
        }
    }
    const gpuFlavor = isOvhGpuFlavor(pool.machineType);
    if (pool.gpu) {
        if (!gpuFlavor) {
            problems.add([...at, "gpu"], `${pool.machineType} has no GPU`, "use a GPU flavor such as l4-90, l40s-90, t2-45 or h100-380, or remove gpu");
        }
        if (pool.gpu.type !== undefined) {
            problems.add([...at, "gpu", "type"], "on OVH the flavor decides the GPU", `remove it; ${pool.machineType} brings its own`);
        }
        const known = OVH_GPU_COUNTS[pool.machineType];
        if (known !== undefined && known !== pool.gpu.count) {
            problems.add([...at, "gpu", "count"], `${pool.machineType} has ${known} GPU${known === 1 ? "" : "s"}, not ${pool.gpu.count}`, `set count: ${known}`);
        }
    } else if (gpuFlavor) {
        problems.add(at, `${pool.machineType} is a GPU flavor but the pool has no gpu`,
            `add gpu: { count: ${OVH_GPU_COUNTS[pool.machineType] ?? 1} }, so the GPU operator runs there and CPU-only pods stay off the nodes`);
    }
}

/**
 * Across clusters: VLAN ids are per project (its vRack), and two networks on one VLAN share one broadcast
 * domain, so each OVH cluster of a project needs its own.
 */
export function checkOvhVlans(clusters: Readonly<Record<string, { readonly provider: string }>>, problems: Problems): void {
    const owners = new Map<string, string>();
    for (const [key, cluster] of Object.entries(clusters)) {
        if (cluster.provider !== "ovh") continue;
        const { serviceName, network } = cluster as OvhClusterSpec;
        const slot = `${serviceName}/${network.vlanId}`;
        const owner = owners.get(slot);
        if (owner) {
            problems.add(["clusters", key, "network", "vlanId"], `VLAN ${network.vlanId} is also used by cluster ${owner} in the same OVH project`,
                "give each cluster of a project its own vlanId, one no other network of the project uses");
        }
        owners.set(slot, key);
    }
}

/**
 * Whether a hub's usernames are GitHub logins, the identities access-group members are written in. GitHub
 * auth gives the login (lowercased); an OIDC hub only when its operator states that `usernameClaim` carries
 * the GitHub login (a GitHub-brokered identity provider); any other name could belong to someone else.
 */
function usernamesAreGithubLogins(auth: AuthSpec): boolean {
    return auth.type === "github" || (auth.type === "oidc" && auth.usernamesAreGithubLogins === true);
}

/**
 * The members (lowercase logins) `hub` may admit, so the only ones whose keys it is given. A hub that admits by
 * a rule the fleet cannot evaluate offline (an organization, a team, an IdP group or domain, anyone) may admit
 * any of them; otherwise it admits the users it lists. A public hub admits none of them: its users are nobody.
 */
export function hubMembers(hub: HubSpec, members: readonly string[]): string[] {
    const auth = hub.auth;
    let openRule: boolean;
    switch (auth.type) {
        case "github": openRule = auth.allowAll || (auth.allowedOrganizations?.length ?? 0) > 0; break;
        case "oidc": openRule = auth.allowAll || (auth.allowedGroups?.length ?? 0) > 0 || (auth.adminGroups?.length ?? 0) > 0; break;
        case "cilogon": openRule = Object.values(auth.allowedIdps).some(idp => idp.allowAll || (idp.allowedDomains?.length ?? 0) > 0); break;
        case "dummy": openRule = auth.allowAll; break;
        case "shared-password": openRule = true; break;
        case "ephemeral": return [];
    }
    if (openRule) return [...members];
    const listed = new Set([...(auth.allowedUsers ?? []), ...(auth.adminUsers ?? [])].map(user => user.toLowerCase()));
    return members.filter(member => listed.has(member.toLowerCase()));
}

/** A hub on an OVH cluster: with access groups, its usernames must be the members' GitHub logins. */
export function checkOvhHub(hubKey: string, hub: HubSpec, clusterKey: string, cluster: OvhClusterSpec,
    path: readonly PathPart[], problems: Problems): void {
    if (!cluster.accessGroups || usernamesAreGithubLogins(hub.auth)) return;
    const fix = hub.auth.type === "oidc"
        ? "if the identity provider brokers GitHub, set usernameClaim to the claim holding the GitHub login and " +
            "usernamesAreGithubLogins: true; otherwise run this hub on a cluster without accessGroups"
        : `use auth.type: github, or run this hub on a cluster without accessGroups`;
    problems.add([...path, "auth"],
        `cluster ${clusterKey} hands S3 keys to users by GitHub login (accessGroups), but ${hub.auth.type} usernames on hub ${hubKey} ` +
        "are not GitHub logins, so anyone able to log in under a member's name would get that member's keys", fix);
}

function checkAccessGroups(cluster: OvhClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const groups = cluster.accessGroups ?? {};
    const memberOf = new Map<string, string>();
    for (const [groupKey, group] of Object.entries(groups)) {
        const groupPath = [...path, "accessGroups", groupKey];
        if (!DNS_LABEL.test(groupKey) || groupKey.length > 32) {
            problems.add(groupPath, "group key is not a valid name", "use up to 32 lowercase letters, digits and '-'");
        }
        if (groupKey === "default" && group.members?.length) {
            problems.add([...groupPath, "members"], "the default group serves everyone without a group and has no members",
                "move these users to a named group");
        }
        if (groupKey === "default" && group.admin) {
            problems.add([...groupPath, "admin"], "would give every hub user full control of every bucket", "remove it; make an admins group");
        }
        (group.members ?? []).forEach((member, i) => {
            if (!GITHUB_LOGIN.test(member)) {
                problems.add([...groupPath, "members", i], `"${member}" is not a valid lowercase GitHub username`,
                    `write it in lowercase, e.g. ${member.toLowerCase()}`);
            }
            const earlier = memberOf.get(member);
            if (earlier) {
                problems.add([...groupPath, "members", i], `${member} is already in group ${earlier}, and OVH keeps one policy per user`,
                    `keep ${member} in one group; make a group that has both groups' access if needed`);
            }
            memberOf.set(member, groupKey);
        });
        for (const mode of ["read", "write"] as const) {
            (group[mode] ?? []).forEach((bucketKey, i, list) => {
                if (!(bucketKey in cluster.buckets)) {
                    const guess = closestMatch(bucketKey, Object.keys(cluster.buckets));
                    problems.add([...groupPath, mode, i], `no bucket "${bucketKey}" on this cluster`,
                        guess ? `did you mean ${guess}?` : `add it under buckets, or use one of: ${Object.keys(cluster.buckets).join(", ")}`);
                }
                if (list.indexOf(bucketKey) < i) {
                    problems.add([...groupPath, mode, i], `bucket ${bucketKey} is listed twice`, "list it once");
                } else if (mode === "read" && group.write?.includes(bucketKey)) {
                    problems.add([...groupPath, mode, i], `bucket ${bucketKey} is also in write`, "list it in one of them");
                }
            });
        }
    }
}
