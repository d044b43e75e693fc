/** The cluster's GCS buckets: private, uniformly controlled by IAM, never emptied or deleted by Pulumi. */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { BucketSpec, bucketFullName } from "../config";
import { BucketRef } from "../platform";

/** Lifecycle rules for a bucket spec: scratch buckets forget objects `deleteAfterDays` after creation. */
export function lifecycleRules(spec: BucketSpec): gcp.types.input.storage.BucketLifecycleRule[] {
    return spec.deleteAfterDays === undefined ? []
        : [{ action: { type: "Delete" }, condition: { age: spec.deleteAfterDays } }];
}

/** How long GCS keeps deleted objects unless told otherwise: 7 days (pulumi-gcp BucketSoftDeletePolicy). */
export const DEFAULT_SOFT_DELETE_SECONDS = 7 * 24 * 3600;

/**
 * Soft delete keeps deleted objects, billed, for a while. Scratch data that expired on purpose is not worth
 * paying for a week longer, so buckets with `deleteAfterDays` turn it off (0: the API takes 0 or 7 to 90
 * days). Other buckets keep the default, said explicitly so that dropping `deleteAfterDays` brings it back:
 * their users may delete objects, and soft delete is how one gets them back.
 */
export function softDeletePolicy(spec: BucketSpec): gcp.types.input.storage.BucketSoftDeletePolicy {
    return { retentionDurationSeconds: spec.deleteAfterDays === undefined ? DEFAULT_SOFT_DELETE_SECONDS : 0 };
}

export interface BucketsArgs {
    /** The cluster's config key; prefixes bucket names that don't set `name:`. */
    readonly clusterKey: string;
    /** The cluster's `buckets` entries by key. */
    readonly buckets: Readonly<Record<string, BucketSpec>>;
    /** GCS location: the cluster's region, so users read and write without egress charges. */
    readonly location: string;
    /** The enabled Cloud Storage API. */
    readonly apis: readonly pulumi.Resource[];
}

export class Buckets extends pulumi.ComponentResource {
    /** The bucket resources by config key. */
    readonly resources: Readonly<Record<string, gcp.storage.Bucket>>;
    /** Name and `gs://` URL by config key. */
    readonly refs: Readonly<Record<string, BucketRef>>;

    constructor(name: string, args: BucketsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:Buckets", name, {}, opts);
        const resources: Record<string, gcp.storage.Bucket> = {};
        const refs: Record<string, BucketRef> = {};
        for (const [key, spec] of Object.entries(args.buckets)) {
            const bucket = new gcp.storage.Bucket(`${name}-${key}`, {
                name: bucketFullName(args.clusterKey, "gcp", key, spec),
                location: args.location,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                lifecycleRules: lifecycleRules(spec),
                softDeletePolicy: softDeletePolicy(spec),
                forceDestroy: false,
            }, { parent: this, protect: true, dependsOn: [...args.apis] });
            resources[key] = bucket;
            // Built from the name rather than the `url` output so previews show the users' env values.
            refs[key] = { name: bucket.name, url: pulumi.interpolate`gs://${bucket.name}` };
        }
        this.resources = resources;
        this.refs = refs;
        this.registerOutputs({ names: Object.fromEntries(Object.entries(refs).map(([key, ref]) => [key, ref.name])) });
    }
}
