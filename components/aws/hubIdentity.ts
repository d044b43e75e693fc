/**
 * One hub's cloud identity: an IAM role that the hub's `user-sa` service account assumes through IRSA, with
 * the hub's bucket access and its optional extra policy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { stableJson } from "../util";
import { USER_SERVICE_ACCOUNT } from "../platform";
import { BucketAccessLevel, hubBucketAccessPolicy, irsaTrustPolicy } from "./policies";

export interface HubIdentityArgs {
    /** IAM role name (`hubIdentityName`). */
    readonly roleName: string;
    /** Namespace of the hub's service account (the hub key). */
    readonly namespace: string;
    /** The cluster's IAM OIDC provider. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (`https://oidc.eks…`). */
    readonly issuerUrl: pulumi.Input<string>;
    /** Buckets the hub's users may use. */
    readonly buckets: readonly { readonly arn: pulumi.Input<string>; readonly access: BucketAccessLevel }[];
    /** An extra IAM policy document for the role (cross-account buckets and the like). */
    readonly extraIamPolicy?: Readonly<Record<string, unknown>>;
    /** Cost-allocation tags of the hub (tags.ts), on the role and its policy. */
    readonly tags: Readonly<Record<string, string>>;
}

export class HubIdentity extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    /** The role's policies: users get errors until these exist, so the hub waits for them. */
    readonly policies: readonly pulumi.Resource[];

    constructor(name: string, args: HubIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:HubIdentity", name, {}, opts);
        const childOpts = { parent: this };

        const role = new aws.iam.Role(`${name}-role`, {
            name: args.roleName,
            description: `Users of hub ${args.namespace} (IRSA: ${args.namespace}/${USER_SERVICE_ACCOUNT})`,
            assumeRolePolicy: pulumi.all([args.oidcProviderArn, args.issuerUrl]).apply(([providerArn, issuer]) =>
                irsaTrustPolicy(providerArn, issuer, args.namespace, USER_SERVICE_ACCOUNT)),
            tags: { ...args.tags },
        }, childOpts);

        const policies: pulumi.Resource[] = [];
        if (args.buckets.length > 0) {
            const document = pulumi.all(args.buckets.map(b => b.arn)).apply(arns =>
                hubBucketAccessPolicy(arns.map((bucketArn, i) => ({ bucketArn, access: args.buckets[i].access }))));
            policies.push(new aws.iam.RolePolicy(`${name}-buckets`, { role: role.name, name: "buckets", policy: document }, childOpts));
        }
        if (args.extraIamPolicy) {
            const extra = new aws.iam.Policy(`${name}-extra`, {
                description: `Extra permissions for hub ${args.namespace} (cloudAccess.extraIamPolicy)`,
                policy: stableJson(args.extraIamPolicy),
                tags: { ...args.tags },
            }, childOpts);
            policies.push(new aws.iam.RolePolicyAttachment(`${name}-extra`, { role: role.name, policyArn: extra.arn }, childOpts));
        }

        this.roleArn = role.arn;
        this.roleName = role.name;
        this.policies = policies;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
