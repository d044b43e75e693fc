/**
 * The OpenShift SecurityContextConstraints that lets a hub's user servers run. OpenShift's default
 * (`restricted-v2`) assigns each namespace a random uid range and forbids NFS volumes, while user servers
 * need a fixed uid (or a per-user one from Vault) to own their files on a shared NFS export. Each hub gets
 * its own SCC, bound to its `user-sa` only: the replacement for `oc adm policy add-scc-to-user`.
 */
import * as k8s from "@pulumi/kubernetes";

/** Lowest uid a user server may run as: below it are the NFS server's system accounts. */
export const MIN_USER_UID = 1000;
/** OpenShift's largest uid (uids are signed 32-bit in its ranges). */
export const MAX_USER_UID = 2147483647;

/** Volume types user servers need: home and extra mounts (nfs, PVC) and what KubeSpawner itself mounts. */
export const USER_VOLUME_TYPES = [
    "configMap", "downwardAPI", "emptyDir", "nfs", "persistentVolumeClaim", "projected", "secret",
] as const;

export interface UserSccArgs {
    /** The hub's key: its namespace. */
    readonly hubKey: string;
    /** uid user servers run as when nothing sets a per-user one. */
    readonly uid: number;
    /** gid of shared files (the pod's fsGroup). */
    readonly gid: number;
    /**
     * Whether each user gets their own uid at spawn (Vault `uid`): then any uid from MIN_USER_UID up is
     * allowed, since the hub, not the user, picks it; otherwise only `uid`.
     */
    readonly perUserUids: boolean;
}

/** The SCC's name: cluster-scoped, so the hub key keeps hubs apart. */
export function userSccName(hubKey: string): string {
    return `${hubKey}-user`;
}

/** The service account user servers run as, in OpenShift's user-name form. */
export function userServiceAccountUser(hubKey: string): string {
    return `system:serviceaccount:${hubKey}:user-sa`;
}

/** Args for a `k8s.apiextensions.CustomResource` holding the hub's user SCC. */
export function userSecurityContextConstraints(args: UserSccArgs): k8s.apiextensions.CustomResourceArgs {
    return {
        apiVersion: "security.openshift.io/v1",
        kind: "SecurityContextConstraints",
        metadata: {
            name: userSccName(args.hubKey),
            labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" },
        },
        users: [userServiceAccountUser(args.hubKey)],
        groups: [],
        runAsUser: args.perUserUids
            ? { type: "MustRunAsRange", uidRangeMin: MIN_USER_UID, uidRangeMax: MAX_USER_UID }
            : { type: "MustRunAsRange", uidRangeMin: args.uid, uidRangeMax: args.uid },
        fsGroup: { type: "MustRunAs", ranges: [{ min: args.gid, max: args.gid }] },
        supplementalGroups: { type: "RunAsAny" },
        seLinuxContext: { type: "MustRunAs" },
        seccompProfiles: ["runtime/default"],
        volumes: [...USER_VOLUME_TYPES],
        allowPrivilegedContainer: false,
        allowPrivilegeEscalation: false,
        requiredDropCapabilities: ["ALL"],
        allowedCapabilities: [],
        defaultAddCapabilities: [],
        allowHostDirVolumePlugin: false,
        allowHostIPC: false,
        allowHostNetwork: false,
        allowHostPID: false,
        allowHostPorts: false,
        readOnlyRootFilesystem: false,
    };
}
