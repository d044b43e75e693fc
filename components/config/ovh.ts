/** OVHcloud clusters (MKS): schema, research-group access, and the rules that hold within one OVH cluster. */
import { z } from "zod";
import { closestMatch } from "../util";
import { commonClusterFields, kubernetesVersion } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { WithHome } from "./homeStorage";
import { DNS_LABEL, GITHUB_LOGIN } from "./names";

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

export const ovhClusterSchema = z.strictObject({
    provider: z.literal("ovh"),
    /** The OVH Public Cloud project id. */
    serviceName: z.string().regex(/^[0-9a-f]{32}$/, { error: "must be the 32-character OVH project id" }),
    region: z.string().regex(/^[A-Z]+\d*$/, { error: "must be an OVH region such as GRA11" }),
    kubernetesVersion: kubernetesVersion.optional(),
    updatePolicy: z.enum(["ALWAYS_UPDATE", "MINIMAL_DOWNTIME", "NEVER_UPDATE"]).default("MINIMAL_DOWNTIME"),
    s3: z.strictObject({
        region: z.string().regex(/^[a-z]+$/, { error: "must be an OVH S3 region such as gra" }),
        /** Defaults to https://s3.<region>.io.cloud.ovh.net. */
        endpoint: z.url().optional(),
    }),
    network: z.strictObject({
        vlanId: z.number().int().min(0).max(4000).default(0),
        cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/, {
            error: "must be an IPv4 CIDR block such as 10.0.0.0/16",
        }).default("10.0.0.0/16"),
    }).default({ vlanId: 0, cidr: "10.0.0.0/16" }),
    accessGroups: z.record(z.string(), accessGroupSchema).optional(),
    ...commonClusterFields,
});
export type OvhClusterSpec = WithHome<z.infer<typeof ovhClusterSchema>>;

export function checkOvhCluster(cluster: OvhClusterSpec, path: readonly PathPart[], problems: Problems): void {
    checkAccessGroups(cluster, path, problems);
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
            (group[mode] ?? []).forEach((bucketKey, i) => {
                if (!(bucketKey in cluster.buckets)) {
                    const guess = closestMatch(bucketKey, Object.keys(cluster.buckets));
                    problems.add([...groupPath, mode, i], `no bucket "${bucketKey}" on this cluster`,
                        guess ? `did you mean ${guess}?` : `add it under buckets, or use one of: ${Object.keys(cluster.buckets).join(", ")}`);
                }
            });
        }
    }
}
