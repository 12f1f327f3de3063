//! Warm pools: the configuration is stored and described; no instances are
//! kept warm.

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::ops::groups::{group_mut, group_ref};
use crate::wire::{give, keep};

pub fn put_warm_pool(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: PutWarmPoolType,
) -> Result<PutWarmPoolAnswer, AwsError> {
    if let Some(s) = &input.pool_state {
        if !matches!(s.as_str(), "Stopped" | "Running" | "Hibernated") {
            return Err(validation(format!(
                "Invalid pool state {s}. Valid values are Stopped, Running and Hibernated."
            )));
        }
    }
    if input.max_group_prepared_capacity.is_some_and(|m| m < -1)
        || input.min_size.is_some_and(|m| m < 0)
    {
        return Err(validation("Warm pool sizes must not be negative."));
    }
    let conf = WarmPoolConfiguration {
        max_group_prepared_capacity: input.max_group_prepared_capacity,
        min_size: Some(input.min_size.unwrap_or(0)),
        pool_state: Some(input.pool_state.clone().unwrap_or_else(|| "Stopped".into())),
        status: None,
        instance_reuse_policy: input.instance_reuse_policy.clone(),
    };
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        g.warm_pool = Some(keep(conf));
        Ok(PutWarmPoolAnswer::default())
    })
}

pub fn describe_warm_pool(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeWarmPoolType,
) -> Result<DescribeWarmPoolAnswer, AwsError> {
    asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        Ok(DescribeWarmPoolAnswer {
            warm_pool_configuration: give(&g.warm_pool),
            instances: Some(Vec::new()),
            next_token: None,
        })
    })
}

pub fn delete_warm_pool(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteWarmPoolType,
) -> Result<DeleteWarmPoolAnswer, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        if g.warm_pool.take().is_none() {
            return Err(validation(format!(
                "No warm pool found for Auto Scaling group {}.",
                g.name
            )));
        }
        Ok(DeleteWarmPoolAnswer::default())
    })
}
