//! The RDS operations, one module per resource; the trait impl only routes.

mod cluster_instances;
pub(crate) mod clusters;
mod common;
mod events;
mod instances;
mod offerings;
mod option_groups;
mod parameter_groups;
mod placement;
pub(crate) mod point_in_time;
mod power;
mod render;
mod replicas;
mod snapshot_sharing;
pub(crate) mod snapshots;
mod subnet_groups;
mod tags;

use stratus_core::{AwsError, RequestContext};

use crate::Rds;
use crate::generated::*;

impl Handlers for Rds {
    async fn create_db_cluster(
        &self,
        ctx: &RequestContext,
        input: CreateDBClusterMessage,
    ) -> Result<CreateDBClusterResult, AwsError> {
        clusters::create_db_cluster(self, ctx, input)
    }

    async fn describe_db_clusters(
        &self,
        ctx: &RequestContext,
        input: DescribeDBClustersMessage,
    ) -> Result<DBClusterMessage, AwsError> {
        clusters::describe_db_clusters(self, ctx, input)
    }

    async fn modify_db_cluster(
        &self,
        ctx: &RequestContext,
        input: ModifyDBClusterMessage,
    ) -> Result<ModifyDBClusterResult, AwsError> {
        clusters::modify_db_cluster(self, ctx, input)
    }

    async fn delete_db_cluster(
        &self,
        ctx: &RequestContext,
        input: DeleteDBClusterMessage,
    ) -> Result<DeleteDBClusterResult, AwsError> {
        clusters::delete_db_cluster(self, ctx, input)
    }

    async fn failover_db_cluster(
        &self,
        ctx: &RequestContext,
        input: FailoverDBClusterMessage,
    ) -> Result<FailoverDBClusterResult, AwsError> {
        clusters::failover_db_cluster(self, ctx, input)
    }

    async fn create_option_group(
        &self,
        ctx: &RequestContext,
        input: CreateOptionGroupMessage,
    ) -> Result<CreateOptionGroupResult, AwsError> {
        option_groups::create_option_group(self, ctx, input)
    }

    async fn copy_option_group(
        &self,
        ctx: &RequestContext,
        input: CopyOptionGroupMessage,
    ) -> Result<CopyOptionGroupResult, AwsError> {
        option_groups::copy_option_group(self, ctx, input)
    }

    async fn describe_option_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeOptionGroupsMessage,
    ) -> Result<OptionGroups, AwsError> {
        option_groups::describe_option_groups(self, ctx, input)
    }

    async fn modify_option_group(
        &self,
        ctx: &RequestContext,
        input: ModifyOptionGroupMessage,
    ) -> Result<ModifyOptionGroupResult, AwsError> {
        option_groups::modify_option_group(self, ctx, input)
    }

    async fn delete_option_group(
        &self,
        ctx: &RequestContext,
        input: DeleteOptionGroupMessage,
    ) -> Result<(), AwsError> {
        option_groups::delete_option_group(self, ctx, input)
    }

    async fn describe_option_group_options(
        &self,
        ctx: &RequestContext,
        input: DescribeOptionGroupOptionsMessage,
    ) -> Result<OptionGroupOptionsMessage, AwsError> {
        option_groups::describe_option_group_options(self, ctx, input)
    }

    async fn restore_db_instance_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: RestoreDBInstanceToPointInTimeMessage,
    ) -> Result<RestoreDBInstanceToPointInTimeResult, AwsError> {
        point_in_time::restore_db_instance_to_point_in_time(self, ctx, input)
    }

    async fn copy_db_snapshot(
        &self,
        ctx: &RequestContext,
        input: CopyDBSnapshotMessage,
    ) -> Result<CopyDBSnapshotResult, AwsError> {
        snapshot_sharing::copy_db_snapshot(self, ctx, input)
    }

    async fn modify_db_snapshot_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifyDBSnapshotAttributeMessage,
    ) -> Result<ModifyDBSnapshotAttributeResult, AwsError> {
        snapshot_sharing::modify_db_snapshot_attribute(self, ctx, input)
    }

    async fn describe_db_snapshot_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeDBSnapshotAttributesMessage,
    ) -> Result<DescribeDBSnapshotAttributesResult, AwsError> {
        snapshot_sharing::describe_db_snapshot_attributes(self, ctx, input)
    }

    async fn create_db_instance_read_replica(
        &self,
        ctx: &RequestContext,
        input: CreateDBInstanceReadReplicaMessage,
    ) -> Result<CreateDBInstanceReadReplicaResult, AwsError> {
        replicas::create_db_instance_read_replica(self, ctx, input)
    }

    async fn promote_read_replica(
        &self,
        ctx: &RequestContext,
        input: PromoteReadReplicaMessage,
    ) -> Result<PromoteReadReplicaResult, AwsError> {
        replicas::promote_read_replica(self, ctx, input)
    }

    async fn add_tags_to_resource(
        &self,
        ctx: &RequestContext,
        input: AddTagsToResourceMessage,
    ) -> Result<(), AwsError> {
        tags::add_tags_to_resource(self, ctx, input)
    }

    async fn create_db_instance(
        &self,
        ctx: &RequestContext,
        input: CreateDBInstanceMessage,
    ) -> Result<CreateDBInstanceResult, AwsError> {
        instances::create_db_instance(self, ctx, input)
    }

    async fn create_db_parameter_group(
        &self,
        ctx: &RequestContext,
        input: CreateDBParameterGroupMessage,
    ) -> Result<CreateDBParameterGroupResult, AwsError> {
        parameter_groups::create_db_parameter_group(self, ctx, input)
    }

    async fn create_db_snapshot(
        &self,
        ctx: &RequestContext,
        input: CreateDBSnapshotMessage,
    ) -> Result<CreateDBSnapshotResult, AwsError> {
        snapshots::create_db_snapshot(self, ctx, input)
    }

    async fn create_db_subnet_group(
        &self,
        ctx: &RequestContext,
        input: CreateDBSubnetGroupMessage,
    ) -> Result<CreateDBSubnetGroupResult, AwsError> {
        subnet_groups::create_db_subnet_group(self, ctx, input)
    }

    async fn delete_db_instance(
        &self,
        ctx: &RequestContext,
        input: DeleteDBInstanceMessage,
    ) -> Result<DeleteDBInstanceResult, AwsError> {
        instances::delete_db_instance(self, ctx, input)
    }

    async fn delete_db_parameter_group(
        &self,
        ctx: &RequestContext,
        input: DeleteDBParameterGroupMessage,
    ) -> Result<(), AwsError> {
        parameter_groups::delete_db_parameter_group(self, ctx, input)
    }

    async fn delete_db_snapshot(
        &self,
        ctx: &RequestContext,
        input: DeleteDBSnapshotMessage,
    ) -> Result<DeleteDBSnapshotResult, AwsError> {
        snapshots::delete_db_snapshot(self, ctx, input)
    }

    async fn delete_db_subnet_group(
        &self,
        ctx: &RequestContext,
        input: DeleteDBSubnetGroupMessage,
    ) -> Result<(), AwsError> {
        subnet_groups::delete_db_subnet_group(self, ctx, input)
    }

    async fn describe_db_engine_versions(
        &self,
        ctx: &RequestContext,
        input: DescribeDBEngineVersionsMessage,
    ) -> Result<DBEngineVersionMessage, AwsError> {
        offerings::describe_db_engine_versions(self, ctx, input)
    }

    async fn describe_db_instances(
        &self,
        ctx: &RequestContext,
        input: DescribeDBInstancesMessage,
    ) -> Result<DBInstanceMessage, AwsError> {
        instances::describe_db_instances(self, ctx, input)
    }

    async fn describe_db_parameter_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeDBParameterGroupsMessage,
    ) -> Result<DBParameterGroupsMessage, AwsError> {
        parameter_groups::describe_db_parameter_groups(self, ctx, input)
    }

    async fn describe_db_parameters(
        &self,
        ctx: &RequestContext,
        input: DescribeDBParametersMessage,
    ) -> Result<DBParameterGroupDetails, AwsError> {
        parameter_groups::describe_db_parameters(self, ctx, input)
    }

    async fn describe_db_snapshots(
        &self,
        ctx: &RequestContext,
        input: DescribeDBSnapshotsMessage,
    ) -> Result<DBSnapshotMessage, AwsError> {
        snapshots::describe_db_snapshots(self, ctx, input)
    }

    async fn describe_db_subnet_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeDBSubnetGroupsMessage,
    ) -> Result<DBSubnetGroupMessage, AwsError> {
        subnet_groups::describe_db_subnet_groups(self, ctx, input)
    }

    async fn describe_events(
        &self,
        ctx: &RequestContext,
        input: DescribeEventsMessage,
    ) -> Result<EventsMessage, AwsError> {
        events::describe_events(self, ctx, input)
    }

    async fn describe_orderable_db_instance_options(
        &self,
        ctx: &RequestContext,
        input: DescribeOrderableDBInstanceOptionsMessage,
    ) -> Result<OrderableDBInstanceOptionsMessage, AwsError> {
        offerings::describe_orderable_db_instance_options(self, ctx, input)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceMessage,
    ) -> Result<TagListMessage, AwsError> {
        tags::list_tags_for_resource(self, ctx, input)
    }

    async fn modify_db_instance(
        &self,
        ctx: &RequestContext,
        input: ModifyDBInstanceMessage,
    ) -> Result<ModifyDBInstanceResult, AwsError> {
        instances::modify_db_instance(self, ctx, input)
    }

    async fn modify_db_parameter_group(
        &self,
        ctx: &RequestContext,
        input: ModifyDBParameterGroupMessage,
    ) -> Result<DBParameterGroupNameMessage, AwsError> {
        parameter_groups::modify_db_parameter_group(self, ctx, input)
    }

    async fn modify_db_subnet_group(
        &self,
        ctx: &RequestContext,
        input: ModifyDBSubnetGroupMessage,
    ) -> Result<ModifyDBSubnetGroupResult, AwsError> {
        subnet_groups::modify_db_subnet_group(self, ctx, input)
    }

    async fn reboot_db_instance(
        &self,
        ctx: &RequestContext,
        input: RebootDBInstanceMessage,
    ) -> Result<RebootDBInstanceResult, AwsError> {
        power::reboot_db_instance(self, ctx, input)
    }

    async fn remove_tags_from_resource(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsFromResourceMessage,
    ) -> Result<(), AwsError> {
        tags::remove_tags_from_resource(self, ctx, input)
    }

    async fn restore_db_instance_from_db_snapshot(
        &self,
        ctx: &RequestContext,
        input: RestoreDBInstanceFromDBSnapshotMessage,
    ) -> Result<RestoreDBInstanceFromDBSnapshotResult, AwsError> {
        snapshots::restore_db_instance_from_db_snapshot(self, ctx, input)
    }

    async fn start_db_instance(
        &self,
        ctx: &RequestContext,
        input: StartDBInstanceMessage,
    ) -> Result<StartDBInstanceResult, AwsError> {
        power::start_db_instance(self, ctx, input)
    }

    async fn stop_db_instance(
        &self,
        ctx: &RequestContext,
        input: StopDBInstanceMessage,
    ) -> Result<StopDBInstanceResult, AwsError> {
        power::stop_db_instance(self, ctx, input)
    }
}
