/**
 * The Google service account a cluster's nodes run as, with only the project roles nodes need. Without it
 * GKE would use the Compute Engine default service account, which often holds Editor on the project (or
 * nothing, where an organisation policy stops automatic grants, and then nodes cannot log).
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { nodeServiceAccountId } from "../config/gcp";
import { NODE_ROLES, serviceAccountMember } from "./iam";

export interface NodeIdentityArgs {
    /** The cluster's project, where the account lives and its roles apply. */
    readonly project: string;
    /** The cluster's config key; names the account. */
    readonly clusterKey: string;
    /** Enabled APIs the account and its grants need (IAM, Resource Manager). */
    readonly apis: readonly pulumi.Resource[];
}

export class NodeIdentity extends pulumi.ComponentResource {
    /** The account's email, from the created account. */
    readonly email: pulumi.Output<string>;
    /** The project grants: nodes should not boot before they can write logs and pull images. */
    readonly grants: readonly pulumi.Resource[];

    constructor(name: string, args: NodeIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:NodeIdentity", name, {}, opts);
        const account = new gcp.serviceaccount.Account(`${name}-sa`, {
            accountId: nodeServiceAccountId(args.clusterKey),
            displayName: `GKE nodes of ${args.clusterKey}`,
            description: `The nodes of GKE cluster ${args.clusterKey}: logs, metrics and image pulls only`,
        }, { parent: this, dependsOn: [...args.apis] });
        const member = account.email.apply(serviceAccountMember);
        this.grants = Object.entries(NODE_ROLES).map(([key, role]) => new gcp.projects.IAMMember(`${name}-${key}`, {
            project: args.project, role, member,
        }, { parent: this, dependsOn: [...args.apis] }));
        this.email = account.email;
        this.registerOutputs({ email: this.email });
    }
}
