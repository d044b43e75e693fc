/**
 * Per-user S3 access on OVH: for each principal of `accessPrincipals` (each group member, and the default
 * group's one shared user) an OVH user, an S3 credential and exactly one S3 policy. Which hub gets which keys
 * is the cluster's business (cluster.ts, `hubAccess`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { stableJson } from "../util";
import { S3_KEY_OUTPUTS } from "./objectStorage";
import { AccessPrincipal } from "./s3Policies";

export interface AccessGroupsArgs {
    /** The OVH Public Cloud project id. */
    readonly serviceName: string;
    /** The principals to create, from `accessPrincipals(clusterKey, cluster)`. */
    readonly principals: readonly AccessPrincipal[];
}

/** One principal's S3 key pair, both halves secret. */
export interface S3KeyPair {
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
}

export class AccessGroups extends pulumi.ComponentResource {
    /** Key pair per principal id (`<group>/<login>` or `default`). */
    public readonly keys: Readonly<Record<string, S3KeyPair>>;
    /** OVH user id per principal id, to find a user in the OVH console. */
    public readonly userIds: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: AccessGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:AccessGroups", name, {}, opts);
        const ovhArgs = { serviceName: args.serviceName };

        const userIds: Record<string, pulumi.Output<string>> = {};
        const keys: Record<string, S3KeyPair> = {};
        for (const principal of args.principals) {
            // Names from group key and login: adding, removing or reordering users touches only them.
            const resourceName = `${name}-${principal.id}`;
            const user = new ovh.cloudproject.User(resourceName, {
                ...ovhArgs, description: principal.description, roleNames: ["objectstore_operator"],
            }, { parent: this });
            const credential = new ovh.cloudproject.S3Credential(resourceName, { ...ovhArgs, userId: user.id },
                { parent: this, additionalSecretOutputs: S3_KEY_OUTPUTS });
            // The user's only policy: OVH keeps one per user, and a second would silently replace it.
            new ovh.cloudproject.S3Policy(resourceName, {
                ...ovhArgs, userId: user.id, policy: stableJson(principal.policy),
            }, { parent: this });

            keys[principal.id] = {
                accessKeyId: pulumi.secret(credential.accessKeyId),
                secretAccessKey: pulumi.secret(credential.secretAccessKey),
            };
            userIds[principal.id] = user.id;
        }
        this.keys = keys;
        this.userIds = userIds;

        this.registerOutputs({ userIds: this.userIds });
    }
}
