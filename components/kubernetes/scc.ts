/**
 * The OpenShift SecurityContextConstraints that lets a hub's user servers run. OpenShift's default
 * (`restricted-v2`) assigns each namespace a random uid range and forbids NFS volumes, while user servers
 * need a fixed uid (or a per-user one from Vault) to own their files on a shared NFS export. Each hub gets
 * its own SCC, bound to its `user-sa` only: the replacement for `oc adm policy add-scc-to-user`. The chart's
 * own pods (hub, proxy, user scheduler, image pullers) run as fixed non-root uids too; they get OpenShift's
 * stock `nonroot-v2` through a binding made before the release.
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

/**
 * OpenShift's ClusterRole granting `use` of its `nonroot-v2` SCC (any non-root uid the pod names, fsGroup
 * and supplemental groups as the pod asks; no host access, all capabilities dropped, seccompProfile
 * runtime/default). openshift/cluster-kube-apiserver-operator
 * bindata/bootkube/scc-manifests/0000_20_kube-apiserver-operator_00_cr-scc-nonroot-v2.yaml and
 * …_00_scc-nonroot-v2.yaml; `oc adm policy add-scc-to-user nonroot-v2 -z <account>` binds this role.
 */
export const NONROOT_V2_CLUSTER_ROLE = "system:openshift:scc:nonroot-v2";

/** Reads `values` at a dotted path; undefined where any step is missing. */
function valueAt(values: Readonly<Record<string, unknown>>, dotted: string): unknown {
    let at: unknown = values;
    for (const key of dotted.split(".")) {
        if (at === null || typeof at !== "object") return undefined;
        at = (at as Record<string, unknown>)[key];
    }
    return at;
}

/** Helm's `default`: an empty or missing value falls back. */
function orDefault(value: unknown, fallback: string): string {
    return typeof value === "string" && value !== "" ? value : fallback;
}

/**
 * The service accounts the z2jh chart's own pods run as, for release `releaseName` with the hub's raw
 * `values` over the chart's defaults. Mirrors zero-to-jupyterhub-k8s 4.4.0 jupyterhub/templates/
 * _helpers-names.tpl: the `jupyterhub.fullname` prefix (values.yaml `fullnameOverride: ""` gives none), and
 * per component `serviceAccount.name`, else the component's name when `serviceAccount.create` (default
 * true), else `default`. The proxy (proxy/deployment.yaml) and the user placeholders
 * (scheduling/user-placeholder/statefulset.yaml) name no account, so they run as the namespace's `default`.
 * Every one of these pods runs as a fixed non-root uid (hub 1000, the others 65534, values.yaml
 * `containerSecurityContext`), which `restricted-v2` refuses outside the namespace's assigned range.
 */
export function chartServiceAccounts(releaseName: string, values: Readonly<Record<string, unknown>>): string[] {
    const fullnameOverride = "fullnameOverride" in values ? values.fullnameOverride : "";
    let prefix: string;
    if (typeof fullnameOverride === "string") {
        prefix = fullnameOverride ? `${fullnameOverride}-` : "";
    } else {
        const name = orDefault(values.nameOverride, "jupyterhub");
        prefix = `${releaseName.includes(name) ? releaseName : `${releaseName}-${name}`}-`;
    }
    const created = (path: string, component: string) => valueAt(values, `${path}.create`) === false
        ? orDefault(valueAt(values, `${path}.name`), "default")
        : orDefault(valueAt(values, `${path}.name`), prefix + component);
    const accounts = [
        created("hub.serviceAccount", "hub"),
        created("proxy.traefik.serviceAccount", "autohttps"),
        created("scheduling.userScheduler.serviceAccount", "user-scheduler"),
        created("prePuller.hook.serviceAccount", "hook-image-awaiter"),
        orDefault(valueAt(values, "prePuller.hook.serviceAccountImagePuller.name"), `${prefix}hook-image-puller`),
        orDefault(valueAt(values, "prePuller.continuous.serviceAccount.name"), `${prefix}continuous-image-puller`),
        "default",
    ];
    return [...new Set(accounts)].sort();
}

/** The binding's name: cluster-scoped, so the hub key keeps hubs apart. */
export function chartSccBindingName(hubKey: string): string {
    return `${hubKey}-chart-nonroot-v2`;
}

/**
 * A ClusterRoleBinding of `nonroot-v2` to the chart's service accounts in the hub's namespace. A binding may
 * name accounts that do not exist yet, so it is in place before the release creates them and the first
 * install's pods are admitted; a RoleBinding would need the hub's namespace, which the hub creates. Its
 * subjects are the hub's own accounts only, so the grant reaches no other namespace.
 */
export function chartSccBinding(hubKey: string, accounts: readonly string[]): k8s.rbac.v1.ClusterRoleBindingArgs {
    return {
        metadata: { name: chartSccBindingName(hubKey), labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NONROOT_V2_CLUSTER_ROLE },
        subjects: accounts.map(name => ({ kind: "ServiceAccount", name, namespace: hubKey })),
    };
}
