/**
 * IAM principals given EKS access (`clusters.<key>.admins` / `viewers`): parsing their ARNs, the stable key
 * each one's access entry is named by, and the EKS access policies they get. Pure.
 */
import { partitionOf } from "./policies";

/** What each list grants, as EKS access policies (cluster scope). */
export const ACCESS_POLICIES = {
    /** Kubernetes `cluster-admin`: what `pulumi up` needs. */
    admins: "AmazonEKSClusterAdminPolicy",
    /** Kubernetes `view` (no Secrets): what `pulumi preview` needs, see docs/aws.md "Who can reach the cluster". */
    viewers: "AmazonEKSViewPolicy",
} as const;
export type AccessLevel = keyof typeof ACCESS_POLICIES;

/** An IAM role or user ARN, the only principals an access entry takes (no STS session, no account root). */
export interface PrincipalArn {
    readonly partition: string;
    readonly account: string;
    readonly kind: "role" | "user";
    /** Path and name, e.g. `deploy` or `aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123`. */
    readonly name: string;
}

const PRINCIPAL_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)\/([\w+=,.@\/-]*[\w+=,.@-])$/;

export function parsePrincipalArn(arn: string): PrincipalArn | undefined {
    const match = PRINCIPAL_ARN.exec(arn);
    return match ? { partition: match[1], account: match[2], kind: match[3] as "role" | "user", name: match[4] } : undefined;
}

/**
 * What a wrong ARN should have been, for the config check's message: an assumed-role session (what `aws sts
 * get-caller-identity` prints) names the role it came from.
 */
export function principalArnHint(arn: string): string {
    const session = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
    if (session) {
        return `that is a session of a role: give the role itself, arn:${session[1]}:iam::${session[2]}:role/<path/>${session[3]} ` +
            "(aws iam get-role --role-name " + session[3] + " prints it with its path)";
    }
    return "give an IAM role or user ARN such as arn:aws:iam::123456789012:role/jupyterhub-fleet-deploy, path included";
}

/**
 * The stable key a principal's access entry is named by: account, kind, and path/name, so adding, removing or
 * reordering principals never renames another's entry. The partition is left out: it is the cluster's.
 */
export function accessEntryKey(arn: string): string {
    const principal = parsePrincipalArn(arn);
    if (!principal) throw new Error(`"${arn}" is not an IAM role or user ARN (${principalArnHint(arn)})`);
    return `${principal.account}-${principal.kind}/${principal.name}`;
}

/** ARN of an EKS access policy, e.g. `arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`. */
export function accessPolicyArn(region: string, policy: string): string {
    return `arn:${partitionOf(region)}:eks::aws:cluster-access-policy/${policy}`;
}
