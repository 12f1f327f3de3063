//! The CloudWatch operations, one module per concern; the trait impl only routes.

pub mod alarms;
mod dashboards;
mod data;
mod history;
mod metrics;
mod shapes;
mod streams;
mod tags;

use stratus_core::{AwsError, RequestContext};

use crate::CloudWatch;
use crate::generated::*;

impl Handlers for CloudWatch {
    async fn delete_alarms(
        &self,
        ctx: &RequestContext,
        input: DeleteAlarmsInput,
    ) -> Result<(), AwsError> {
        alarms::delete_alarms(&self.core, ctx, input)
    }

    async fn delete_dashboards(
        &self,
        ctx: &RequestContext,
        input: DeleteDashboardsInput,
    ) -> Result<DeleteDashboardsOutput, AwsError> {
        dashboards::delete_dashboards(&self.core, ctx, input)
    }

    async fn delete_metric_stream(
        &self,
        ctx: &RequestContext,
        input: DeleteMetricStreamInput,
    ) -> Result<DeleteMetricStreamOutput, AwsError> {
        streams::delete_metric_stream(&self.core, ctx, input)
    }

    async fn describe_alarm_history(
        &self,
        ctx: &RequestContext,
        input: DescribeAlarmHistoryInput,
    ) -> Result<DescribeAlarmHistoryOutput, AwsError> {
        history::describe_alarm_history(&self.core, ctx, input)
    }

    async fn describe_alarms(
        &self,
        ctx: &RequestContext,
        input: DescribeAlarmsInput,
    ) -> Result<DescribeAlarmsOutput, AwsError> {
        alarms::describe_alarms(&self.core, ctx, input)
    }

    async fn describe_alarms_for_metric(
        &self,
        ctx: &RequestContext,
        input: DescribeAlarmsForMetricInput,
    ) -> Result<DescribeAlarmsForMetricOutput, AwsError> {
        alarms::describe_alarms_for_metric(&self.core, ctx, input)
    }

    async fn disable_alarm_actions(
        &self,
        ctx: &RequestContext,
        input: DisableAlarmActionsInput,
    ) -> Result<(), AwsError> {
        alarms::disable_alarm_actions(&self.core, ctx, input)
    }

    async fn enable_alarm_actions(
        &self,
        ctx: &RequestContext,
        input: EnableAlarmActionsInput,
    ) -> Result<(), AwsError> {
        alarms::enable_alarm_actions(&self.core, ctx, input)
    }

    async fn get_dashboard(
        &self,
        ctx: &RequestContext,
        input: GetDashboardInput,
    ) -> Result<GetDashboardOutput, AwsError> {
        dashboards::get_dashboard(&self.core, ctx, input)
    }

    async fn get_metric_data(
        &self,
        ctx: &RequestContext,
        input: GetMetricDataInput,
    ) -> Result<GetMetricDataOutput, AwsError> {
        data::get_metric_data(&self.core, ctx, input)
    }

    async fn get_metric_statistics(
        &self,
        ctx: &RequestContext,
        input: GetMetricStatisticsInput,
    ) -> Result<GetMetricStatisticsOutput, AwsError> {
        metrics::get_metric_statistics(&self.core, ctx, input)
    }

    async fn get_metric_stream(
        &self,
        ctx: &RequestContext,
        input: GetMetricStreamInput,
    ) -> Result<GetMetricStreamOutput, AwsError> {
        streams::get_metric_stream(&self.core, ctx, input)
    }

    async fn list_dashboards(
        &self,
        ctx: &RequestContext,
        input: ListDashboardsInput,
    ) -> Result<ListDashboardsOutput, AwsError> {
        dashboards::list_dashboards(&self.core, ctx, input)
    }

    async fn list_metric_streams(
        &self,
        ctx: &RequestContext,
        input: ListMetricStreamsInput,
    ) -> Result<ListMetricStreamsOutput, AwsError> {
        streams::list_metric_streams(&self.core, ctx, input)
    }

    async fn list_metrics(
        &self,
        ctx: &RequestContext,
        input: ListMetricsInput,
    ) -> Result<ListMetricsOutput, AwsError> {
        metrics::list_metrics(&self.core, ctx, input)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceInput,
    ) -> Result<ListTagsForResourceOutput, AwsError> {
        tags::list_tags_for_resource(&self.core, ctx, input)
    }

    async fn put_composite_alarm(
        &self,
        ctx: &RequestContext,
        input: PutCompositeAlarmInput,
    ) -> Result<(), AwsError> {
        alarms::put_composite_alarm(&self.core, ctx, input)
    }

    async fn put_dashboard(
        &self,
        ctx: &RequestContext,
        input: PutDashboardInput,
    ) -> Result<PutDashboardOutput, AwsError> {
        dashboards::put_dashboard(&self.core, ctx, input)
    }

    async fn put_metric_alarm(
        &self,
        ctx: &RequestContext,
        input: PutMetricAlarmInput,
    ) -> Result<(), AwsError> {
        alarms::put_metric_alarm(&self.core, ctx, input)
    }

    async fn put_metric_data(
        &self,
        ctx: &RequestContext,
        input: PutMetricDataInput,
    ) -> Result<(), AwsError> {
        metrics::put_metric_data(&self.core, ctx, input)
    }

    async fn put_metric_stream(
        &self,
        ctx: &RequestContext,
        input: PutMetricStreamInput,
    ) -> Result<PutMetricStreamOutput, AwsError> {
        streams::put_metric_stream(&self.core, ctx, input)
    }

    async fn set_alarm_state(
        &self,
        ctx: &RequestContext,
        input: SetAlarmStateInput,
    ) -> Result<(), AwsError> {
        alarms::set_alarm_state(&self.core, ctx, input)
    }

    async fn start_metric_streams(
        &self,
        ctx: &RequestContext,
        input: StartMetricStreamsInput,
    ) -> Result<StartMetricStreamsOutput, AwsError> {
        streams::start_metric_streams(&self.core, ctx, input)
    }

    async fn stop_metric_streams(
        &self,
        ctx: &RequestContext,
        input: StopMetricStreamsInput,
    ) -> Result<StopMetricStreamsOutput, AwsError> {
        streams::stop_metric_streams(&self.core, ctx, input)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceInput,
    ) -> Result<TagResourceOutput, AwsError> {
        tags::tag_resource(&self.core, ctx, input)
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceInput,
    ) -> Result<UntagResourceOutput, AwsError> {
        tags::untag_resource(&self.core, ctx, input)
    }
}
