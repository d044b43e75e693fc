/**
 * Who besides its creator can reach an EKS cluster: an access entry per IAM principal in `admins` and
 * `viewers`, each with its EKS access policy at cluster scope. With `authenticationMode: API` the cluster
 * admits no one else (node groups get their entries from EKS).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ACCESS_POLICIES, AccessLevel, accessEntryKey, accessPolicyArn } from "./principals";

export interface ClusterAccessArgs {
    /** The EKS cluster's name, from the cluster resource (so the entries wait for it). */
    readonly clusterName: pulumi.Input<string>;
    /** The cluster's region: picks the partition of the access policy ARNs. */
    readonly region: string;
    /** IAM role or user ARNs by access level (config-checked: valid, each in one list once). */
    readonly principals: Readonly<Record<AccessLevel, readonly string[]>>;
}

export class ClusterAccess extends pulumi.ComponentResource {
    /** The policy associations: a principal can use the cluster once its association exists. */
    readonly associations: readonly aws.eks.AccessPolicyAssociation[];

    constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:ClusterAccess", name, {}, opts);
        const childOpts = { parent: this };
        const associations: aws.eks.AccessPolicyAssociation[] = [];
        for (const level of Object.keys(ACCESS_POLICIES) as AccessLevel[]) {
            for (const principalArn of args.principals[level]) {
                // Named by the principal, never by its position in the list.
                const childName = `${name}-${accessEntryKey(principalArn)}`;
                const entry = new aws.eks.AccessEntry(childName, {
                    clusterName: args.clusterName,
                    principalArn,
                    type: "STANDARD",
                }, childOpts);
                associations.push(new aws.eks.AccessPolicyAssociation(childName, {
                    clusterName: entry.clusterName,
                    principalArn: entry.principalArn,
                    policyArn: accessPolicyArn(args.region, ACCESS_POLICIES[level]),
                    accessScope: { type: "cluster" },
                }, childOpts));
            }
        }
        this.associations = associations;
        this.registerOutputs({});
    }
}
