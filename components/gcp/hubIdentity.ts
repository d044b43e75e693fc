/**
 * A hub's Google service account and what it may do. User pods act as it through Workload Identity: the
 * hub's `user-sa` Kubernetes service account is annotated with its email and may impersonate it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { CloudAccessSpec, hubIdentityName } from "../config";
import {
    REQUESTOR_PAYS_ROLE, WORKLOAD_IDENTITY_USER_ROLE, bucketGrants, serviceAccountMember, workloadIdentityMember,
} from "./iam";

export interface HubIdentityArgs {
    /** The project the cluster, its Workload Identity pool and its buckets are in. */
    readonly project: string;
    /** The cluster's config key; with the hub key it forms the service-account id. */
    readonly clusterKey: string;
    /** The hub key, which is also its namespace. */
    readonly hubKey: string;
    /** The hub's `cloudAccess` entry. */
    readonly access: CloudAccessSpec;
    /** The cluster's buckets by config key. */
    readonly buckets: Readonly<Record<string, gcp.storage.Bucket>>;
    /** The GKE cluster: the project's Workload Identity pool exists only once a cluster enables it. */
    readonly cluster: gcp.container.Cluster;
    /** Enabled APIs the account and its project grant need (IAM, Resource Manager). */
    readonly apis: readonly pulumi.Resource[];
}

/**
 * Every grant is an additive IAM member, never a binding or a policy: those are authoritative for a whole
 * role (or resource), so two hubs granting the same role on one bucket would remove each other, and a
 * grant made outside this program would be wiped. Unlike S3 bucket policies, one member per hub and
 * bucket is therefore the correct shape on GCP.
 */
export class HubIdentity extends pulumi.ComponentResource {
    readonly account: gcp.serviceaccount.Account;
    /** The service account's email, from the created account. */
    readonly email: pulumi.Output<string>;
    /** Every grant, for resources that must wait until users actually have access. */
    readonly grants: readonly pulumi.Resource[];

    constructor(name: string, args: HubIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:HubIdentity", name, {}, opts);
        const account = new gcp.serviceaccount.Account(`${name}-sa`, {
            accountId: hubIdentityName(args.clusterKey, args.hubKey),
            displayName: `JupyterHub ${args.hubKey} users`,
            description: `Users of hub ${args.hubKey} on cluster ${args.clusterKey}, through Workload Identity`,
        }, { parent: this, dependsOn: [...args.apis] });
        const member = account.email.apply(serviceAccountMember);

        const grants: pulumi.Resource[] = [
            new gcp.serviceaccount.IAMMember(`${name}-workload-identity`, {
                serviceAccountId: account.name,
                role: WORKLOAD_IDENTITY_USER_ROLE,
                member: workloadIdentityMember(args.project, args.hubKey),
            }, { parent: this, dependsOn: [args.cluster] }),
        ];
        for (const grant of bucketGrants(args.access)) {
            grants.push(new gcp.storage.BucketIAMMember(`${name}-bucket-${grant.bucketKey}`, {
                bucket: args.buckets[grant.bucketKey].name,
                role: grant.role,
                member,
            }, { parent: this }));
        }
        if (args.access.requestorPays) {
            grants.push(new gcp.projects.IAMMember(`${name}-requestor-pays`, {
                project: args.project,
                role: REQUESTOR_PAYS_ROLE,
                member,
            }, { parent: this, dependsOn: [...args.apis] }));
        }

        this.account = account;
        this.email = account.email;
        this.grants = grants;
        this.registerOutputs({ email: this.email });
    }
}
