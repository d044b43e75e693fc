/**
 * A wait for OVH to apply a user's S3 policy: OVH answers the policy's POST at once but enforces the new
 * document only after a delay (up to about 30 s, issue 12), and a CreateBucket in that window is refused with
 * AccessDenied. Neither the AWS provider nor its SDK retries that: terraform-provider-aws `resourceBucketCreate`
 * (internal/service/s3/bucket.go) retries CreateBucket on OperationAborted only, and aws-sdk-go-v2's standard
 * retryer (aws/retry/standard.go) on throttling, timeouts and 5xx only, whatever `maxRetries` says.
 *
 * So the buckets depend on this resource, which waits when it is created and whenever the policy, the user or
 * its key changes, and is a no-op on every other `up`. A dynamic provider, because the fleet has no
 * `@pulumi/time` and must not shell out: its methods are serialized into the state, so they capture nothing.
 */
import * as pulumi from "@pulumi/pulumi";

/** OVH's observed ~30 s, with a margin. */
export const POLICY_PROPAGATION_SECONDS = 45;

export interface S3PolicyPropagationArgs {
    /** The OVH user the policy belongs to. */
    readonly userId: pulumi.Input<string>;
    /** The S3 credential the buckets are created with: a new key is as new to OVH as a new policy. */
    readonly credentialId: pulumi.Input<string>;
    /** The policy document as posted. */
    readonly policy: pulumi.Input<string>;
    /** How long to wait; POLICY_PROPAGATION_SECONDS unless a test says otherwise. */
    readonly seconds?: number;
}

/** Exported for tests; `pulumi up` runs it in the dynamic provider host. */
export const s3PolicyPropagationProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        // A new user, key or policy is something OVH has yet to apply. Listed inline: a serialized method
        // takes no reference to module scope with it.
        return { changes: ["userId", "credentialId", "policy"].some(key => olds[key] !== news[key]) };
    },
    async create(inputs: Record<string, any>) {
        await new Promise(resolve => setTimeout(resolve, inputs.seconds * 1000));
        return { id: String(inputs.userId), outs: inputs };
    },
    async update(_id: string, _olds: Record<string, any>, news: Record<string, any>) {
        await new Promise(resolve => setTimeout(resolve, news.seconds * 1000));
        return { outs: news };
    },
};

export class S3PolicyPropagation extends pulumi.dynamic.Resource {
    constructor(name: string, args: S3PolicyPropagationArgs, opts?: pulumi.CustomResourceOptions) {
        super(s3PolicyPropagationProvider, name, { ...args, seconds: args.seconds ?? POLICY_PROPAGATION_SECONDS }, opts,
            "ovh", "S3PolicyPropagation");
    }
}
