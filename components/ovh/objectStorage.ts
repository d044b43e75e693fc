/**
 * An OVH cluster's buckets, created through OVH's S3 API by an operator user whose own policy reaches
 * only those buckets. That user creates, and so owns, every bucket: `npm run access` lists it as the fleet
 * operator.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { BucketRef } from "../platform";
import { stableJson } from "../util";
import { S3PolicyPropagation } from "./policyPropagation";
import { fullControlPolicy } from "./s3Policies";

/**
 * The provider marks only the secret key secret (and adds it to these itself); the access key id, half of
 * every credential in the hub's credentials file, stays out of the state's plain text too.
 */
export const S3_KEY_OUTPUTS = ["accessKeyId"];

export interface ObjectStorageBucketArgs {
    /** The full bucket name (OVH bucket names are the config key unless `name:` is given). */
    readonly name: string;
    /** Objects expire this many days after creation. */
    readonly deleteAfterDays?: number;
    /** The bucket exists already: adopt it rather than create it. */
    readonly adopt?: boolean;
}

export interface ObjectStorageArgs {
    /** The OVH Public Cloud project id. */
    readonly serviceName: string;
    /** OVH S3 region, e.g. `gra`. */
    readonly region: string;
    /** S3 endpoint URL, e.g. https://s3.gra.io.cloud.ovh.net. */
    readonly endpoint: string;
    /** Buckets by config key. */
    readonly buckets: Readonly<Record<string, ObjectStorageBucketArgs>>;
}

/** The S3 endpoint for an OVH S3 region, unless config names one (e.g. the high-performance tier). */
export function s3Endpoint(s3: { readonly region: string; readonly endpoint?: string }): string {
    return s3.endpoint ?? `https://s3.${s3.region}.io.cloud.ovh.net`;
}

export class ObjectStorage extends pulumi.ComponentResource {
    /** Buckets by config key, named from the created resources. */
    public readonly buckets: Readonly<Record<string, BucketRef>>;
    /** The OVH user that manages the buckets; its keys live only in the `aws.Provider` below. */
    public readonly operatorUserId: pulumi.Output<string>;
    /** Provider for S3 resources on this project's object storage. */
    public readonly s3Provider: aws.Provider;

    constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:ObjectStorage", name, {}, opts);
        const ovhArgs = { serviceName: args.serviceName };

        const operator = new ovh.cloudproject.User(`${name}-operator`, {
            ...ovhArgs,
            description: `jupyterhub-fleet ${name}: manages the cluster's buckets`,
            roleNames: ["objectstore_operator"],
        }, { parent: this });
        const operatorKeys = new ovh.cloudproject.S3Credential(`${name}-operator`, {
            ...ovhArgs, userId: operator.id,
        }, { parent: this, additionalSecretOutputs: S3_KEY_OUTPUTS });
        const bucketNames = Object.values(args.buckets).map(b => b.name);
        const operatorPolicy = new ovh.cloudproject.S3Policy(`${name}-operator`, {
            ...ovhArgs, userId: operator.id, policy: stableJson(fullControlPolicy(bucketNames)),
        }, { parent: this });

        this.s3Provider = new aws.Provider(`${name}-s3`, {
            region: args.region,
            accessKey: operatorKeys.accessKeyId,
            secretKey: pulumi.secret(operatorKeys.secretAccessKey),
            endpoints: [{ s3: args.endpoint }],
            // OVH is not AWS: there is no STS to validate keys against, no account id, no AWS region list
            // that contains "gra", and no instance metadata service to look for credentials in.
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            skipRegionValidation: true,
            skipMetadataApiCheck: true,
            // Virtual-host addressing needs a wildcard certificate matching the bucket name; names with
            // dots break it. Path-style works for every bucket name OVH accepts.
            s3UsePathStyle: true,
        }, { parent: this });

        // Every bucket call waits until OVH enforces the operator's current policy and key (policyPropagation.ts).
        const policyApplied = new S3PolicyPropagation(`${name}-operator-policy`, {
            userId: operator.id, credentialId: operatorKeys.id, policy: operatorPolicy.policy,
        }, { parent: this });

        const buckets: Record<string, BucketRef> = {};
        for (const [key, spec] of Object.entries(args.buckets)) {
            // No ACL resources and no public-access settings: on OVH an object's ACL overrides its bucket's,
            // so bucket ACLs cannot keep data private; access is granted by user policies only, and every
            // non-admin policy denies ACL writes (s3Policies.ts).
            const bucket = new aws.s3.Bucket(`${name}-${key}`, {
                bucket: spec.name,
                forceDestroy: false,
            }, {
                parent: this, provider: this.s3Provider, protect: true,
                // The operator can only create (or read, to adopt) buckets its policy names, once OVH applies it.
                dependsOn: [policyApplied],
                // Pulumi's import option is a no-op once the bucket is in the state with this id
                // (pulumi/pulumi developer-docs/architecture/import.md, "import resource option").
                import: spec.adopt ? spec.name : undefined,
            });
            if (spec.deleteAfterDays !== undefined) {
                new aws.s3.BucketLifecycleConfiguration(`${name}-${key}-expiry`, {
                    bucket: bucket.bucket,
                    rules: [{
                        id: `expire-after-${spec.deleteAfterDays}-days`,
                        status: "Enabled",
                        // An empty prefix: the rule covers every object in the bucket.
                        filter: { prefix: "" },
                        expiration: { days: spec.deleteAfterDays },
                    }],
                }, { parent: this, provider: this.s3Provider, dependsOn: [policyApplied] });
            }
            buckets[key] = { name: bucket.bucket, url: pulumi.interpolate`s3://${bucket.bucket}` };
        }
        this.buckets = buckets;
        this.operatorUserId = operator.id;

        this.registerOutputs({
            buckets: Object.fromEntries(Object.entries(buckets).map(([key, ref]) => [key, ref.name])),
            operatorUserId: this.operatorUserId,
        });
    }
}
