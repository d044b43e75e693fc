/** A cluster's monthly AWS budget: the spending of the resources that carry its cluster tag. */
import * as aws from "@pulumi/aws";
import { BudgetSpec } from "../config/operations";
import { CLUSTER_TAG } from "../tags";

/**
 * The budget's arguments. The filter selects cost by a cost-allocation tag, written `user:<key>$<value>`
 * (terraform-provider-aws website/docs/r/budgets_budget.html.markdown, "Create a cost filter using resource
 * tags"); the tag must be activated as a cost-allocation tag in the Billing console first (README, "Running
 * the fleet"), or the budget sees no cost. Nodes carry the tag through their Auto Scaling groups
 * (cluster.ts autoScalingGroupTags) from their launch on; their root volumes never do.
 */
export function awsBudgetArgs(clusterKey: string, budget: BudgetSpec): aws.budgets.BudgetArgs {
    return {
        name: `jupyterhub-fleet-${clusterKey}`,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: String(budget.monthlyAmount),
        limitUnit: budget.currency,
        costFilters: [{ name: "TagKeyValue", values: [`user:${CLUSTER_TAG}$${clusterKey}`] }],
        notifications: [...budget.thresholds].sort((a, b) => a - b).map(threshold => ({
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE",
            notificationType: "ACTUAL",
            subscriberEmailAddresses: [...budget.notify],
        })),
    };
}
