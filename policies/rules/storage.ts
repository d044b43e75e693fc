/**
 * Data safety and privacy of home storage and buckets (DESIGN.md, "Data safety" and "Security defaults"):
 * a config edit never deletes user data, buckets are never public, and data is encrypted at rest where
 * the cloud leaves it to us.
 *
 * Not checked: Filestore, GCS and OVH Object Storage encrypt everything at rest with provider-managed keys
 * and offer no unencrypted mode; customer-managed keys would need KMS keys the fleet config does not model.
 * S3 also encrypts new objects by default since 2023, but an explicit configuration keeps the bucket's
 * encryption a reviewed fact rather than an account default.
 */
import { ResourceFacts, asList, iamStatements, label, resourceRule, stackRule } from "./common";

export const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const GCS_BUCKET_TYPE = "gcp:storage/bucket:Bucket";
export const EFS_TYPE = "aws:efs/fileSystem:FileSystem";
export const FILESTORE_TYPE = "gcp:filestore/instance:Instance";
export const PERSISTENT_VOLUME_TYPE = "kubernetes:core/v1:PersistentVolume";
export const STORAGE_CLASS_TYPE = "kubernetes:storage.k8s.io/v1:StorageClass";
const S3_ACL_TYPES = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];
const S3_PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const S3_ENCRYPTION_TYPES = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const S3_BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";
const GCS_MEMBER_TYPES = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
const GCS_ACL_TYPES = ["gcp:storage/bucketAccessControl:BucketAccessControl", "gcp:storage/bucketACL:BucketACL"];

/** What each protected type holds, for the message. */
const PROTECTED_TYPES: Record<string, string> = {
    ...Object.fromEntries(S3_BUCKET_TYPES.map(type => [type, "the bucket and its objects"])),
    [GCS_BUCKET_TYPE]: "the bucket and its objects",
    [EFS_TYPE]: "every user's home directory",
    [FILESTORE_TYPE]: "every user's home directory",
    [PERSISTENT_VOLUME_TYPE]: "the hub's home directories volume",
};

export const storageProtected = resourceRule({
    name: "storage-protected",
    description: "Home storage and buckets are protected, so no config edit can delete user data.",
    enforcementLevel: "mandatory",
    check: resource => {
        const holds = PROTECTED_TYPES[resource.type];
        if (!holds || resource.protect) return [];
        return [`${label(resource)} is not protected, so removing it from the config would delete ${holds}: ` +
            "create it with the resource option { protect: true } (retainOnDelete alone is not visible to the policy engine)"];
    },
});

export const bucketsKeepObjects = resourceRule({
    name: "buckets-keep-objects",
    description: "Buckets are never emptied by Pulumi (forceDestroy stays false).",
    enforcementLevel: "mandatory",
    check: resource => (S3_BUCKET_TYPES.includes(resource.type) || resource.type === GCS_BUCKET_TYPE) && resource.props.forceDestroy === true
        ? [`${label(resource)} sets forceDestroy: true, which lets a delete or replace empty it: set forceDestroy: false`]
        : [],
});

export const homeVolumesRetained = resourceRule({
    name: "home-volumes-retained",
    description: "Home volumes and the storage classes of per-user volumes keep their data when a claim is deleted.",
    enforcementLevel: "mandatory",
    check: resource => {
        // A PV created by hand (ours are) defaults to Retain; a storage class defaults to Delete.
        if (resource.type === PERSISTENT_VOLUME_TYPE) {
            const policy = resource.props.spec?.persistentVolumeReclaimPolicy;
            return policy === undefined || policy === "Retain" ? []
                : [`${label(resource)} has persistentVolumeReclaimPolicy ${policy}: set spec.persistentVolumeReclaimPolicy: "Retain"`];
        }
        if (resource.type === STORAGE_CLASS_TYPE && resource.props.reclaimPolicy !== "Retain") {
            return [`${label(resource)} has reclaimPolicy ${resource.props.reclaimPolicy ?? "Delete (the default)"}, so a user's ` +
                "disk is deleted with their claim (KubeSpawner deletes claims with users): set reclaimPolicy: \"Retain\""];
        }
        return [];
    },
});

export const efsEncrypted = resourceRule({
    name: "efs-encrypted",
    description: "EFS home file systems are encrypted at rest.",
    enforcementLevel: "mandatory",
    check: resource => resource.type === EFS_TYPE && resource.props.encrypted !== true
        ? [`${label(resource)} is not encrypted at rest: set encrypted: true (this replaces an existing file system, so copy the homes first)`]
        : [],
});

export const gcsBucketsPrivate = resourceRule({
    name: "gcs-buckets-private",
    description: "GCS buckets enforce public access prevention and uniform bucket-level access.",
    enforcementLevel: "mandatory",
    check: resource => {
        if (resource.type !== GCS_BUCKET_TYPE) return [];
        const problems: string[] = [];
        if (resource.props.publicAccessPrevention !== "enforced") {
            problems.push(`${label(resource)} does not prevent public access: set publicAccessPrevention: "enforced"`);
        }
        if (resource.props.uniformBucketLevelAccess !== true) {
            problems.push(`${label(resource)} allows per-object ACLs: set uniformBucketLevelAccess: true`);
        }
        return problems;
    },
});

const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEE = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const PUBLIC_GCP_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

/** Whether a bucket policy statement allows anyone at all, unconditionally. */
function isPublicStatement(statement: { Effect?: string; Principal?: unknown; Condition?: unknown }): boolean {
    if (statement.Effect !== "Allow" || statement.Condition !== undefined) return false;
    const principal = statement.Principal;
    if (principal === "*") return true;
    const aws = (principal as { AWS?: string | string[] } | undefined)?.AWS;
    return asList(aws).includes("*");
}

export const bucketsNoPublicGrants = resourceRule({
    name: "buckets-no-public-grants",
    description: "No ACL, bucket policy or IAM member makes a bucket readable by anyone (S3, OVH Object Storage, GCS).",
    enforcementLevel: "mandatory",
    check: resource => {
        const { props } = resource;
        const problems: string[] = [];
        if (S3_BUCKET_TYPES.includes(resource.type) || S3_ACL_TYPES.includes(resource.type)) {
            if (PUBLIC_CANNED_ACLS.includes(props.acl)) {
                problems.push(`${label(resource)} sets acl: ${props.acl}: remove the acl (buckets are private by default) ` +
                    "and grant access to hub identities instead");
            }
            const grants = [...(props.grants ?? []), ...(props.accessControlPolicy?.grants ?? [])];
            if (grants.some((grant: any) => PUBLIC_GRANTEE.test(grant?.uri ?? grant?.grantee?.uri ?? ""))) {
                problems.push(`${label(resource)} grants access to the AllUsers or AuthenticatedUsers group: remove that grant`);
            }
        }
        if (resource.type === S3_BUCKET_POLICY_TYPE || (S3_BUCKET_TYPES.includes(resource.type) && props.policy !== undefined)) {
            if ((iamStatements(props.policy) ?? []).some(isPublicStatement)) {
                problems.push(`${label(resource)} has a policy statement allowing Principal "*" without a condition: ` +
                    "name the hub roles as principals instead");
            }
        }
        if (GCS_MEMBER_TYPES.includes(resource.type)) {
            const members: string[] = props.members ?? (props.member === undefined ? [] : [props.member]);
            const open = members.filter(member => PUBLIC_GCP_MEMBERS.includes(member));
            if (open.length > 0) {
                problems.push(`${label(resource)} grants ${props.role} to ${open.join(", ")}: grant it to hub service accounts instead`);
            }
        }
        if (GCS_ACL_TYPES.includes(resource.type)) {
            const entries: string[] = [props.entity, ...(props.roleEntities ?? [])].filter((e): e is string => typeof e === "string");
            if (entries.some(entry => PUBLIC_GCP_MEMBERS.some(member => entry.includes(member)))) {
                problems.push(`${label(resource)} gives allUsers or allAuthenticatedUsers an ACL entry: remove it`);
            }
        }
        return problems;
    },
});

/** Whether an S3 bucket is served by AWS itself rather than an S3-compatible store (OVH) behind a custom endpoint. */
export function isAwsS3Bucket(resource: ResourceFacts): boolean {
    if (!S3_BUCKET_TYPES.includes(resource.type)) return false;
    // Provider inputs of object type reach the engine JSON-encoded.
    const endpoints: unknown = resource.provider?.props?.endpoints;
    const text = typeof endpoints === "string" ? endpoints : JSON.stringify(endpoints ?? []);
    return !/"s3"\s*:/.test(text);
}

/**
 * Whether `attachment` (a public access block, an encryption configuration) is for `bucket`: by the
 * dependency of its `bucket` input where the engine reports one (at preview the bucket's name may not be
 * known yet), else by the bucket's name, which is also its id on AWS.
 */
function attachedTo(attachment: ResourceFacts, bucket: ResourceFacts): boolean {
    const dependencies = attachment.propertyDependencies?.bucket;
    // Only fall back to names without dependencies: reading an unknown name throws during preview.
    if (dependencies && dependencies.length > 0) return dependencies.includes(bucket.urn);
    return attachment.props.bucket !== undefined && attachment.props.bucket === bucket.props.bucket;
}

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3BucketsPrivateAndEncrypted = stackRule({
    name: "s3-buckets-private-and-encrypted",
    description: "Every AWS S3 bucket has a public access block with all four settings on and a server-side encryption configuration.",
    enforcementLevel: "mandatory",
    check: resources => {
        const problems: { urn: string; message: string }[] = [];
        const blocks = resources.filter(r => r.type === S3_PUBLIC_ACCESS_BLOCK_TYPE);
        const encryptions = resources.filter(r => S3_ENCRYPTION_TYPES.includes(r.type));
        for (const bucket of resources.filter(isAwsS3Bucket)) {
            const block = blocks.find(b => attachedTo(b, bucket));
            const off = block ? BLOCK_FLAGS.filter(flag => block.props[flag] !== true) : BLOCK_FLAGS;
            if (!block) {
                problems.push({ urn: bucket.urn, message: `${label(bucket)} has no public access block: add an ` +
                    `aws.s3.BucketPublicAccessBlock for it with ${BLOCK_FLAGS.map(f => `${f}: true`).join(", ")}` });
            } else if (off.length > 0) {
                problems.push({ urn: block.urn, message: `${label(block)} (for ${label(bucket)}) leaves ${off.join(", ")} ` +
                    `off: set ${off.map(f => `${f}: true`).join(", ")}` });
            }
            if (!encryptions.some(e => attachedTo(e, bucket))) {
                problems.push({ urn: bucket.urn, message: `${label(bucket)} has no server-side encryption configuration: add an ` +
                    "aws.s3.BucketServerSideEncryptionConfiguration for it (sseAlgorithm AES256 or aws:kms)" });
            }
        }
        return problems;
    },
});
