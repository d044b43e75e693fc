/** A cluster's monthly GCP budget on its billing account: the spending of the resources labelled with the cluster key. */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { BudgetSpec } from "../config/operations";
import { CLUSTER_TAG } from "../tags";

/**
 * The budget's arguments. Its filter is the cluster label rather than the project, so several clusters in one
 * project each get their own budget, as on AWS; costs without labels (network egress, support) are outside
 * it. Thresholds are fractions (`thresholdPercent: 0.8`), and the emails are Cloud Monitoring channels: a
 * budget mails only the billing account's admins otherwise (gcp billing/budget.d.ts, `allUpdatesRule`).
 */
export function gcpBudgetArgs(clusterKey: string, budget: BudgetSpec, channels: pulumi.Input<string>[]): gcp.billing.BudgetArgs {
    if (!budget.billingAccount) {
        throw new Error(`clusters.${clusterKey}.budget.billingAccount: missing (a GCP budget belongs to a billing account)`);
    }
    return {
        billingAccount: budget.billingAccount,
        displayName: `jupyterhub-fleet-${clusterKey}`,
        budgetFilter: { labels: { [CLUSTER_TAG]: clusterKey } },
        amount: { specifiedAmount: { currencyCode: budget.currency, units: String(Math.round(budget.monthlyAmount)) } },
        thresholdRules: [...budget.thresholds].sort((a, b) => a - b).map(percent => ({ thresholdPercent: percent / 100 })),
        allUpdatesRule: { monitoringNotificationChannels: channels },
    };
}

/** An email notification channel per address, named by the address (stable across reordering). */
export function budgetChannels(name: string, budget: BudgetSpec, opts: pulumi.CustomResourceOptions): gcp.monitoring.NotificationChannel[] {
    return [...budget.notify].sort().map(email => new gcp.monitoring.NotificationChannel(`${name}-budget-${email}`, {
        displayName: `jupyterhub-fleet budget: ${email}`,
        type: "email",
        labels: { email_address: email },
    }, opts));
}
