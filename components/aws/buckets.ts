/**
 * The cluster's S3 buckets: private, encrypted, optionally expiring, each with one bucket policy that holds a
 * statement per hub using it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BucketSpec } from "../config";
import { BucketRef } from "../platform";
import { BucketAccessLevel, bucketPolicy } from "./policies";

/** Incomplete multipart uploads are invisible in listings but billed; clear them after a week. */
const ABORT_MULTIPART_AFTER_DAYS = 7;
/**
 * How long a deleted or overwritten object stays restorable in a bucket that keeps its objects: every hub user
 * holds s3:DeleteObject, so one `aws s3 rm --recursive` would otherwise empty a shared bucket for good.
 */
export const NONCURRENT_VERSION_DAYS = 30;

/** A hub role's access to one bucket. */
export interface BucketUser {
    /** The role's ARN, from the role resource. */
    readonly roleArn: pulumi.Input<string>;
    readonly access: BucketAccessLevel;
}

export interface BucketsArgs {
    /** Bucket config by key. */
    readonly buckets: Readonly<Record<string, BucketSpec>>;
    /** Full bucket name by key (`bucketFullName`). */
    readonly names: Readonly<Record<string, string>>;
    /** Hub roles allowed on each bucket, by bucket key. */
    readonly users: Readonly<Record<string, readonly BucketUser[]>>;
}

export class Buckets extends pulumi.ComponentResource {
    /** Name and `s3://` URL by bucket key. */
    readonly refs: Readonly<Record<string, BucketRef>>;
    /** Bucket ARN by key. */
    readonly arns: Readonly<Record<string, pulumi.Output<string>>>;
    /** Bucket policy by bucket key: a hub's users are denied until the policy naming their role exists. */
    readonly policies: Readonly<Record<string, aws.s3.BucketPolicy>>;

    constructor(name: string, args: BucketsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:Buckets", name, {}, opts);
        const refs: Record<string, BucketRef> = {};
        const arns: Record<string, pulumi.Output<string>> = {};
        const policies: Record<string, aws.s3.BucketPolicy> = {};

        for (const [key, spec] of Object.entries(args.buckets)) {
            const prefix = `${name}-${key}`;
            const bucket = new aws.s3.Bucket(prefix, {
                bucket: args.names[key],
                // A non-empty bucket must never go away with a config edit; emptying it is a deliberate act.
                forceDestroy: false,
            }, { parent: this, protect: true });
            const childOpts = { parent: this };

            const publicAccess = new aws.s3.BucketPublicAccessBlock(`${prefix}-public-access`, {
                bucket: bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            }, childOpts);
            new aws.s3.BucketServerSideEncryptionConfiguration(`${prefix}-encryption`, {
                bucket: bucket.id,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            }, childOpts);
            // Scratch buckets (deleteAfterDays) expire everything anyway; the others keep each object's history.
            const versioning = spec.deleteAfterDays !== undefined ? undefined : new aws.s3.BucketVersioning(`${prefix}-versioning`, {
                bucket: bucket.id,
                versioningConfiguration: { status: "Enabled" },
            }, childOpts);
            new aws.s3.BucketLifecycleConfiguration(`${prefix}-lifecycle`, {
                bucket: bucket.id,
                rules: lifecycleRules(spec),
            }, { parent: this, dependsOn: versioning ? [versioning] : [] });

            const users = args.users[key] ?? [];
            const policyJson = pulumi.all([bucket.arn, pulumi.all(users.map(u => u.roleArn))]).apply(([arn, roleArns]) =>
                bucketPolicy(arn, roleArns.map((principalArn, i) => ({ principalArn, access: users[i].access }))));
            // S3 rejects concurrent changes to a bucket's public-access block and policy.
            policies[key] = new aws.s3.BucketPolicy(`${prefix}-policy`, { bucket: bucket.id, policy: policyJson },
                { parent: this, dependsOn: [publicAccess] });

            refs[key] = { name: bucket.bucket, url: pulumi.interpolate`s3://${bucket.bucket}` };
            arns[key] = bucket.arn;
        }
        this.refs = refs;
        this.arns = arns;
        this.policies = policies;
        this.registerOutputs({ buckets: Object.fromEntries(Object.entries(refs).map(([k, r]) => [k, r.url])) });
    }
}

/**
 * A bucket's lifecycle rules: incomplete uploads cleared everywhere; objects expired after `deleteAfterDays`
 * where set, otherwise old versions expired `NONCURRENT_VERSION_DAYS` after they were replaced or deleted, and
 * delete markers with no version left behind removed (S3 API reference, LifecycleExpiration:
 * ExpiredObjectDeleteMarker "cannot be specified with Days or Date", so it shares a rule with
 * NoncurrentVersionExpiration only).
 */
export function lifecycleRules(spec: BucketSpec): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    const abortUploads = {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
    };
    if (spec.deleteAfterDays !== undefined) {
        return [abortUploads, { id: "expire-objects", status: "Enabled", filter: {}, expiration: { days: spec.deleteAfterDays } }];
    }
    return [abortUploads, {
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
        expiration: { expiredObjectDeleteMarker: true },
    }];
}
