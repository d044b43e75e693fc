/**
 * Running a cluster: monitoring (Prometheus + Grafana) and a monthly budget. Both fields exist on every
 * provider so that a budget on a platform without a budget API gets an explanation, not "unknown field".
 */
import { z } from "zod";
import { PathPart, Problems, secretCommand } from "./errors";
import { oauthClientFields } from "./hub";
import { ProviderName } from "./names";

/** Days of metrics Prometheus keeps unless the cluster says otherwise. */
export const DEFAULT_RETENTION_DAYS = 90;
/** Size of Prometheus' volume unless the cluster says otherwise (a few hubs, 90 days: a few GB a week). */
export const DEFAULT_PROMETHEUS_STORAGE_GB = 50;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Who may sign in to Grafana with the identity provider the cluster's hubs use (an OAuth app of its own,
 * whose callback is `https://<grafanaDomain>/login/github` or `/login/generic_oauth`). Everyone who signs in
 * gets the Viewer role; administration stays with the generated admin account.
 */
const grafanaAuthSchemas = {
    github: z.strictObject({
        type: z.literal("github"),
        clientId: z.string().min(1),
        /** Members of these organizations may sign in. */
        allowedOrganizations: z.array(z.string().min(1)).min(1),
    }),
    oidc: z.strictObject({
        type: z.literal("oidc"),
        ...oauthClientFields,
        /** Members of these groups (from the `groupsClaim` of the userinfo) may sign in. */
        allowedGroups: z.array(z.string().min(1)).min(1),
    }),
};
export type GrafanaAuthSpec = z.infer<(typeof grafanaAuthSchemas)[keyof typeof grafanaAuthSchemas]>;

export const monitoringSchema = z.strictObject({
    /**
     * Default: on for clusters the fleet creates (aws, gcp, ovh); on existing clusters, on once `monitoring` is
     * given at all (see `monitoringSettings`).
     */
    enabled: z.boolean().optional(),
    /** Days of metrics Prometheus keeps. */
    retentionDays: z.number().int().min(1).max(3650).optional(),
    /** Size of Prometheus' volume, GB. */
    storageGb: z.number().int().min(1).max(16384).optional(),
    /**
     * Existing clusters: a storage class that retains volumes (Prometheus' data and Grafana's database); the
     * clusters the fleet creates get their own retaining class.
     */
    storageClass: z.string().min(1).optional(),
    /** Grafana at https://<grafanaDomain> (a certificate from Let's Encrypt); without it, through `kubectl port-forward`. */
    grafanaDomain: z.string().regex(DOMAIN, { error: "must be a domain name such as grafana.hub.example.org" }).optional(),
    /** Let's Encrypt's contact for the domain's certificate. */
    contactEmail: z.email({ error: "must be an email address" }).optional(),
    /** Sign-in with the hubs' identity provider; its client secret is clusterSecrets.<cluster>.grafanaClientSecret. */
    auth: z.discriminatedUnion("type", [grafanaAuthSchemas.github, grafanaAuthSchemas.oidc]).optional(),
});
export type MonitoringSpec = z.infer<typeof monitoringSchema>;

export const budgetSchema = z.strictObject({
    /** The monthly amount, in `currency`. */
    monthlyAmount: z.number().positive(),
    /** ISO 4217 code: the currency the account is billed in (GCP refuses any other). */
    currency: z.string().regex(/^[A-Z]{3}$/, { error: "must be an ISO 4217 currency code such as USD or EUR" }),
    /** Who is emailed when spending crosses a threshold. */
    notify: z.array(z.email({ error: "must be an email address" })).min(1),
    /** Percentages of monthlyAmount that send a notification. */
    thresholds: z.array(z.number().positive().max(1000)).min(1).default([80, 100]),
    /** GCP only: the billing account the project is billed to (`XXXXXX-XXXXXX-XXXXXX`), which owns the budget. */
    billingAccount: z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, {
        error: "must be a billing account id such as 012345-6789AB-CDEF01",
    }).optional(),
});
export type BudgetSpec = z.infer<typeof budgetSchema>;

/** The two fields, for every provider's cluster schema. */
export const operationsFields = {
    monitoring: monitoringSchema.optional(),
    budget: budgetSchema.optional(),
};

/** Monitoring as deployed: undefined when off. */
export interface MonitoringSettings {
    readonly retentionDays: number;
    readonly storageGb: number;
    readonly storageClass?: string;
    readonly grafanaDomain?: string;
    readonly contactEmail?: string;
    readonly auth?: GrafanaAuthSpec;
}

/**
 * On by default where the fleet created the cluster. Off on an existing cluster unless its entry has a
 * `monitoring` key: such a cluster often runs a
 * monitoring stack already (OpenShift ships one), node-exporter needs host access that restricted clusters
 * refuse, and the charts install cluster-wide RBAC the operator may not be allowed to create.
 */
export function monitoringSettings(provider: ProviderName, monitoring: MonitoringSpec | undefined): MonitoringSettings | undefined {
    const enabled = monitoring?.enabled ?? (monitoring !== undefined || provider !== "kubernetes");
    if (!enabled) return undefined;
    return {
        retentionDays: monitoring?.retentionDays ?? DEFAULT_RETENTION_DAYS,
        storageGb: monitoring?.storageGb ?? DEFAULT_PROMETHEUS_STORAGE_GB,
        storageClass: monitoring?.storageClass,
        grafanaDomain: monitoring?.grafanaDomain,
        contactEmail: monitoring?.contactEmail,
        auth: monitoring?.auth,
    };
}

/** Why a provider cannot hold a budget, or undefined where it can. */
const NO_BUDGET_API: Partial<Record<ProviderName, string>> = {
    ovh: "OVHcloud has no budget API for a Public Cloud project (only account-wide consumption alerts, set in the OVH Control Panel)",
    kubernetes: "an existing cluster's spending is not visible to the fleet",
};

export interface OperationsSpec {
    readonly provider: ProviderName;
    readonly monitoring?: MonitoringSpec;
    readonly budget?: BudgetSpec;
}

/**
 * `grafanaClientSecret` is the cluster's entry in clusterSecrets, if any. A monitoring.* problem is reported
 * only where monitoring is on.
 */
export function checkOperations(key: string, cluster: OperationsSpec, grafanaClientSecret: string | undefined, path: readonly PathPart[],
    problems: Problems): void {
    const { provider, monitoring, budget } = cluster;
    const settings = monitoringSettings(provider, monitoring);
    if (settings?.grafanaDomain && !settings.contactEmail) {
        problems.add([...path, "monitoring", "contactEmail"], "Let's Encrypt needs a contact for the grafanaDomain certificate",
            "add contactEmail: <the operators' address>");
    }
    if (settings?.auth && !settings.grafanaDomain) {
        problems.add([...path, "monitoring", "auth"], "sign-in through an identity provider needs Grafana at a domain (its OAuth callback)",
            "add monitoring.grafanaDomain, or remove auth and sign in as admin through kubectl port-forward");
    }
    if (settings?.auth && grafanaClientSecret === undefined) {
        problems.add(["clusterSecrets", key, "grafanaClientSecret"], "missing: Grafana's OAuth client secret",
            `set it: ${secretCommand(`clusterSecrets.${key}.grafanaClientSecret`, "<client secret>")}`);
    }
    if (!settings?.auth && grafanaClientSecret !== undefined) {
        problems.add(["clusterSecrets", key, "grafanaClientSecret"], "is set but the cluster's monitoring has no auth",
            `add clusters.${key}.monitoring.auth, or remove it: pulumi config rm --path 'clusterSecrets.${key}.grafanaClientSecret'`);
    }
    if (monitoring?.storageClass && provider !== "kubernetes") {
        problems.add([...path, "monitoring", "storageClass"], `${provider} clusters get a retaining class of their own for monitoring`, "remove it");
    }
    if (provider === "kubernetes" && monitoringSettings(provider, monitoring) && !monitoring?.storageClass) {
        problems.add([...path, "monitoring", "storageClass"], "monitoring on an existing cluster needs a named storage class",
            "name a class with reclaimPolicy: Retain, so Prometheus' data and Grafana's database outlive their claims");
    }
    if (!budget) return;
    const refusal = NO_BUDGET_API[provider];
    if (refusal) {
        problems.add([...path, "budget"], `budgets are not supported on ${provider} clusters: ${refusal}`, "remove it");
        return;
    }
    if (provider === "gcp" && !budget.billingAccount) {
        problems.add([...path, "budget", "billingAccount"], "a GCP budget belongs to a billing account",
            "add the project's billing account id (gcloud billing projects describe <project>)");
    }
    if (provider === "aws" && budget.billingAccount) {
        problems.add([...path, "budget", "billingAccount"], "AWS budgets belong to the account that deploys them", "remove it");
    }
    const repeated = budget.thresholds.find((t, i) => budget.thresholds.indexOf(t) !== i);
    if (repeated !== undefined) {
        problems.add([...path, "budget", "thresholds"], `${repeated} is listed twice`, "list each percentage once");
    }
}
