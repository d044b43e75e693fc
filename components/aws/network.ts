/**
 * The cluster's network: a new VPC with a public and a private subnet per availability zone, or an existing
 * VPC's subnets passed through untouched.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { formatCidr, Ipv4Cidr, networkAddress, parseCidr } from "./cidr";
import { defaultZones, SubnetPlacement } from "./zones";

export const DEFAULT_VPC_CIDR = "10.100.0.0/16";
/** Zone letters a subnet slot can be derived from (us-east-1 goes up to f). */
const ZONE_LETTERS = "abcdef";
/** The smallest VPC whose public subnets still reach AWS's /28 minimum. */
const MAX_VPC_PREFIX = 22;

/** Where one zone's subnets go. */
export interface ZoneSubnetPlan {
    readonly zone: string;
    /** Nodes, EKS control-plane interfaces, internal load balancers, EFS mount targets. */
    readonly privateCidr: string;
    /** The NAT gateway and internet-facing load balancers. */
    readonly publicCidr: string;
}

function parseVpcCidr(cidr: string, at: string): Ipv4Cidr {
    const parsed = parseCidr(cidr);
    if (!parsed) {
        throw new Error(`${at}.vpcCidr: "${cidr}" is not an IPv4 CIDR block (write it like ${DEFAULT_VPC_CIDR})`);
    }
    if (networkAddress(parsed) !== parsed.base) {
        throw new Error(`${at}.vpcCidr: "${cidr}" has host bits set (use the network address, e.g. ${formatCidr(networkAddress(parsed), parsed.prefix)})`);
    }
    return parsed;
}

/**
 * Splits the VPC by zone letter rather than list position, so adding, removing or reordering zones never
 * moves an existing subnet (which would replace it, and the cluster with it). Private subnets take an eighth
 * of the VPC each (slots a–f; pods get VPC addresses, so they need the room), public subnets a sixty-fourth
 * each inside the seventh eighth. `at` is the config path that error messages name.
 */
export function subnetPlan(vpcCidr: string, region: string, zones: readonly string[], at = "network"): ZoneSubnetPlan[] {
    const { base, prefix } = parseVpcCidr(vpcCidr, at);
    if (prefix > MAX_VPC_PREFIX) {
        throw new Error(`${at}.vpcCidr: /${prefix} is too small for a subnet per zone (use /${MAX_VPC_PREFIX} or larger, e.g. ${DEFAULT_VPC_CIDR})`);
    }
    const seen = new Set<string>();
    return zones.map(zone => {
        const letter = zone.slice(region.length);
        const slot = ZONE_LETTERS.indexOf(letter);
        if (!zone.startsWith(region) || letter.length !== 1 || slot < 0) {
            throw new Error(`${at}.availabilityZones: "${zone}" is not a zone ${region}a … ${region}f ` +
                "(local and wavelength zones are not supported; list regular zones only)");
        }
        if (seen.has(zone)) {
            throw new Error(`${at}.availabilityZones: "${zone}" is listed twice (list each zone once)`);
        }
        seen.add(zone);
        const privateSize = 2 ** (32 - (prefix + 3));
        const publicSize = 2 ** (32 - (prefix + 6));
        return {
            zone,
            privateCidr: formatCidr(base + slot * privateSize, prefix + 3),
            publicCidr: formatCidr(base + 6 * privateSize + slot * publicSize, prefix + 6),
        };
    });
}

/** A private subnet with the stable key its dependants are named by (zone name, or subnet id), and its zone where known. */
export interface PrivateSubnet extends SubnetPlacement {
    readonly id: pulumi.Output<string>;
}

export interface NetworkArgs {
    /** Region the zones belong to. */
    readonly region: string;
    /** The cluster key: the EKS cluster's name (subnet discovery tags) and the config path in errors. */
    readonly clusterName: string;
    /** New VPC: its CIDR block. */
    readonly vpcCidr?: string;
    /** New VPC: its zones. Existing VPC: the zone of each of `subnetIds`, in the same order, where given. */
    readonly availabilityZones?: readonly string[];
    /** Existing VPC: its id. */
    readonly vpcId?: string;
    /** Existing VPC: the private subnets nodes and mount targets go in. */
    readonly subnetIds?: readonly string[];
}

export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    /** Where nodes, the control plane's interfaces and EFS mount targets go. */
    readonly privateSubnets: readonly PrivateSubnet[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:Network", name, {}, opts);

        if (args.vpcId) {
            if (!args.subnetIds?.length) {
                throw new Error(`clusters.${args.clusterName}.network.subnetIds: an existing VPC (${args.vpcId}) needs its private subnets listed`);
            }
            this.vpcId = pulumi.output(args.vpcId);
            // Keyed by id even when zones are given: mount targets were named so before zones could be.
            this.privateSubnets = args.subnetIds.map((id, i) => ({ key: id, zone: args.availabilityZones?.[i], id: pulumi.output(id) }));
            this.registerOutputs({ vpcId: this.vpcId });
            return;
        }

        const plan = subnetPlan(args.vpcCidr ?? DEFAULT_VPC_CIDR, args.region, args.availabilityZones ?? defaultZones(args.region),
            `clusters.${args.clusterName}.network`);
        const childOpts = { parent: this };
        const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.vpcCidr ?? DEFAULT_VPC_CIDR,
            // EKS nodes and the EFS mount-target DNS names need both.
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { Name: args.clusterName },
        }, childOpts);
        const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: args.clusterName } }, childOpts);

        const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
            tags: { Name: `${args.clusterName}-public` },
        }, childOpts);

        const publicSubnets = plan.map(zone => {
            const subnet = new aws.ec2.Subnet(`${name}-public-${zone.zone}`, {
                vpcId: vpc.id,
                availabilityZone: zone.zone,
                cidrBlock: zone.publicCidr,
                tags: { Name: `${args.clusterName}-public-${zone.zone}`, "kubernetes.io/role/elb": "1", ...clusterTag },
            }, childOpts);
            new aws.ec2.RouteTableAssociation(`${name}-public-${zone.zone}`, {
                subnetId: subnet.id, routeTableId: publicRoutes.id,
            }, childOpts);
            return { zone: zone.zone, subnet };
        });

        // One NAT gateway, in the alphabetically first zone: a zone outage cuts egress, at a third of the cost.
        const natZone = [...publicSubnets].sort((a, b) => a.zone.localeCompare(b.zone))[0];
        const natAddress = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: { Name: `${args.clusterName}-nat` } }, childOpts);
        const nat = new aws.ec2.NatGateway(`${name}-nat`, {
            allocationId: natAddress.id,
            subnetId: natZone.subnet.id,
            tags: { Name: args.clusterName },
        }, { parent: this, dependsOn: [gateway] });

        const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
            tags: { Name: `${args.clusterName}-private` },
        }, childOpts);

        this.privateSubnets = plan.map(zone => {
            const subnet = new aws.ec2.Subnet(`${name}-private-${zone.zone}`, {
                vpcId: vpc.id,
                availabilityZone: zone.zone,
                cidrBlock: zone.privateCidr,
                tags: { Name: `${args.clusterName}-private-${zone.zone}`, "kubernetes.io/role/internal-elb": "1", ...clusterTag },
            }, childOpts);
            new aws.ec2.RouteTableAssociation(`${name}-private-${zone.zone}`, {
                subnetId: subnet.id, routeTableId: privateRoutes.id,
            }, childOpts);
            return { key: zone.zone, zone: zone.zone, id: subnet.id };
        });
        this.vpcId = vpc.id;
        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnets.map(s => s.id) });
    }
}
