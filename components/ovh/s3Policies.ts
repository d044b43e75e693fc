/**
 * Pure: an OVH cluster's `accessGroups` -> the S3 principals to create, each with its one policy document.
 *
 * OVH Object Storage has no bucket policies and no workload identity: access is granted per S3 user, by
 * exactly one user policy (a second `S3Policy` on the same user silently replaces the first). So every
 * principal here carries one complete document, and both the `AccessGroups` component and the access report
 * (`npm run access`) build it with `accessPrincipals`, so the report shows what is deployed.
 */
import { AccessGroupSpec, bucketFullName, OvhClusterSpec } from "../config";

/** The group whose grants every hub user gets; it has no members and its keys serve users without a group. */
export const DEFAULT_GROUP = "default";

/** List and read objects (GFTS read-only). */
export const S3_READ_ACTIONS: readonly string[] = ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"];

/**
 * Read, write and delete objects, including multipart uploads (the GFTS write list without `s3:PutObjectAcl`:
 * on OVH an object's ACL overrides its bucket's privacy, so a writer could publish objects).
 */
export const S3_WRITE_ACTIONS: readonly string[] = [
    "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectAcl",
    "s3:GetObjectTagging", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts",
    "s3:PutObject",
];

/**
 * Denied explicitly to every non-admin: OVH lets any `objectstore_operator` user create buckets unless a
 * policy says otherwise, and buckets belong in config (protected, named, with lifecycle rules).
 */
export const S3_BUCKET_LIFECYCLE_ACTIONS: readonly string[] = ["s3:CreateBucket", "s3:DeleteBucket"];

/**
 * Denied explicitly to every non-admin: the writes that can make a bucket or object readable outside the
 * policies (an ACL granting AllUsers, a bucket policy), whatever a later edit of an Allow statement says.
 */
export const S3_ACCESS_CONTROL_ACTIONS: readonly string[] = [
    "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
];

export interface S3PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: readonly string[];
    readonly Resource: readonly string[];
}

/**
 * An OVH S3 user policy. No `Version`: the policies GFTS runs in production (seed 000) have none, and OVH's
 * own examples omit it; without policy variables the two grammars evaluate the same.
 */
export interface S3PolicyDocument {
    readonly Statement: readonly S3PolicyStatement[];
}

/** One OVH S3 user to create: a group member, or the default group's shared user. */
export interface AccessPrincipal {
    /** Stable name part for its resources: `<group>/<login>`, or `default`. Never a list position. */
    readonly id: string;
    readonly group: string;
    /** The hub username it serves; undefined for the default user, which serves everyone without a group. */
    readonly login?: string;
    /** Description of the OVH user, so the project's user list says who each key belongs to. */
    readonly description: string;
    readonly policy: S3PolicyDocument;
}

/** The bucket itself (bucket-level actions) and every object in it. */
export function bucketArns(bucketName: string): string[] {
    return [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`];
}

const DENY_BUCKET_LIFECYCLE: S3PolicyStatement = {
    Sid: "DenyBucketCreateDelete", Effect: "Deny", Action: S3_BUCKET_LIFECYCLE_ACTIONS, Resource: ["arn:aws:s3:::*"],
};

/** `arn:aws:s3:::*` matches objects too: `*` spans the `/` between bucket and key in IAM's ARN matching. */
const DENY_ACCESS_CONTROL: S3PolicyStatement = {
    Sid: "DenyAclAndPolicyWrites", Effect: "Deny", Action: S3_ACCESS_CONTROL_ACTIONS, Resource: ["arn:aws:s3:::*"],
};

/**
 * Every S3 action on the given buckets and their objects. Scoped to the cluster's buckets rather than
 * `arn:aws:s3:::*`: the OVH project can hold buckets this cluster does not own (other teams', state
 * buckets), and a bucket added to config joins the policy in the same `pulumi up` that creates it. Bucket
 * creation outside config stays impossible (no other bucket name matches).
 */
export function fullControlPolicy(bucketNames: readonly string[]): S3PolicyDocument {
    const names = [...new Set(bucketNames)].sort();
    if (names.length === 0) {
        // A document with no statement may be refused; this one grants nothing, which is what it means.
        return { Statement: [DENY_BUCKET_LIFECYCLE] };
    }
    return { Statement: [{ Sid: "Admin", Effect: "Allow", Action: ["s3:*"], Resource: names.flatMap(bucketArns) }] };
}

/** Read and write grants by full bucket name; write wins where a bucket is in both. */
export function readWritePolicy(grants: { readonly read: readonly string[]; readonly write: readonly string[] }): S3PolicyDocument {
    const write = [...new Set(grants.write)].sort();
    const read = [...new Set(grants.read)].filter(b => !write.includes(b)).sort();
    const statements: S3PolicyStatement[] = [];
    if (write.length > 0) {
        statements.push({ Sid: "ReadWrite", Effect: "Allow", Action: S3_WRITE_ACTIONS, Resource: write.flatMap(bucketArns) });
    }
    if (read.length > 0) {
        statements.push({ Sid: "ReadOnly", Effect: "Allow", Action: S3_READ_ACTIONS, Resource: read.flatMap(bucketArns) });
    }
    statements.push(DENY_BUCKET_LIFECYCLE, DENY_ACCESS_CONTROL);
    return { Statement: statements };
}

/**
 * The principals of one OVH cluster, members sorted by group then login. A member's policy is their
 * group's grants plus the default group's (seed 000: every group policy is concatenated with the default
 * read-only statements, so a vliz member still reads the shared reference data); an admin group gets
 * full control of every bucket of the cluster.
 */
export function accessPrincipals(clusterKey: string, cluster: OvhClusterSpec): AccessPrincipal[] {
    const groups = cluster.accessGroups ?? {};
    const fullName = (bucketKey: string) => bucketFullName(clusterKey, cluster.provider, bucketKey, cluster.buckets[bucketKey]);
    const allBuckets = Object.keys(cluster.buckets).map(fullName);
    const defaults: AccessGroupSpec = groups[DEFAULT_GROUP] ?? {};
    const policyFor = (group: AccessGroupSpec) => group.admin ? fullControlPolicy(allBuckets) : readWritePolicy({
        read: [...(group.read ?? []), ...(defaults.read ?? [])].map(fullName),
        write: [...(group.write ?? []), ...(defaults.write ?? [])].map(fullName),
    });

    const principals: AccessPrincipal[] = [];
    if (DEFAULT_GROUP in groups) {
        principals.push({
            id: DEFAULT_GROUP, group: DEFAULT_GROUP, policy: policyFor(defaults),
            description: `jupyterhub-fleet ${clusterKey}: S3 keys shared by hub users without a group`,
        });
    }
    for (const groupKey of Object.keys(groups).filter(g => g !== DEFAULT_GROUP).sort()) {
        const group = groups[groupKey];
        for (const login of [...(group.members ?? [])].sort()) {
            principals.push({
                id: `${groupKey}/${login}`, group: groupKey, login, policy: policyFor(group),
                description: `jupyterhub-fleet ${clusterKey}: S3 keys of hub user ${login} (group ${groupKey})`,
            });
        }
    }
    return principals;
}
