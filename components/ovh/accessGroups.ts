/**
 * Per-user S3 access on OVH: for each principal of `accessPrincipals` (each group member, and the default
 * group's one shared user) an OVH user, an S3 credential and exactly one S3 policy, plus the credentials
 * file the hub hands out at spawn time.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { stableJson } from "../util";
import { credentialsFileContent, S3Keys } from "./credentials";
import { S3_KEY_OUTPUTS } from "./objectStorage";
import { AccessPrincipal } from "./s3Policies";

export interface AccessGroupsArgs {
    /** The OVH Public Cloud project id. */
    readonly serviceName: string;
    /** The principals to create, from `accessPrincipals(clusterKey, cluster)`. */
    readonly principals: readonly AccessPrincipal[];
}

export class AccessGroups extends pulumi.ComponentResource {
    /**
     * The credentials file for the hub (a secret): login -> keys, with the default group's keys under
     * FALLBACK_CREDENTIALS_KEY.
     */
    public readonly credentialsFile: pulumi.Output<string>;
    /** OVH user id per principal id (`<group>/<login>` or `default`), to find a user in the OVH console. */
    public readonly userIds: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: AccessGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:AccessGroups", name, {}, opts);
        const ovhArgs = { serviceName: args.serviceName };

        const userIds: Record<string, pulumi.Output<string>> = {};
        const members: Record<string, pulumi.Output<S3Keys>> = {};
        let fallback: pulumi.Output<S3Keys> | undefined;
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

            const keys = pulumi.secret(pulumi.all([credential.accessKeyId, credential.secretAccessKey])
                .apply(([accessKeyId, secretAccessKey]) => ({ accessKeyId, secretAccessKey })));
            if (principal.login === undefined) {
                fallback = keys;
            } else {
                members[principal.login] = keys;
            }
            userIds[principal.id] = user.id;
        }
        this.userIds = userIds;
        this.credentialsFile = pulumi.secret(pulumi.all([pulumi.all(members), fallback])
            .apply(([memberKeys, defaultKeys]) => credentialsFileContent(memberKeys, defaultKeys)));

        this.registerOutputs({ userIds: this.userIds, credentialsFile: this.credentialsFile });
    }
}
