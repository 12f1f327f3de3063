//! Notification configurations: which events of a group go to which SNS
//! topic. Setting one sends the topic AWS's test notification.

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::notify::{self, Outgoing};
use crate::ops::groups::{group_mut, group_ref};
use crate::wire::page;

pub fn put_notification_configuration(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: PutNotificationConfigurationType,
) -> Result<(), AwsError> {
    for t in &input.notification_types {
        if !notify::TYPES.contains(&t.as_str()) {
            return Err(validation(format!("Notification type {t} is not valid.")));
        }
    }
    if !notify::target_exists(asg, &input.topic_arn) {
        return Err(validation(format!(
            "Unable to send a test message to the topic {}. Make sure the topic exists.",
            input.topic_arn
        )));
    }
    let now = ctx.clock.now_millis();
    let account = ctx.account_id().to_string();
    let out = asg.state.with(&account, &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let mut types = input.notification_types.clone();
        types.sort();
        types.dedup();
        g.notifications.insert(input.topic_arn.clone(), types);
        Ok(vec![Outgoing {
            target: input.topic_arn.clone(),
            subject: notify::test_subject(g),
            message: notify::test_message(&account, g, now),
        }])
    })?;
    notify::send(asg, &account, &ctx.region, out);
    Ok(())
}

pub fn describe_notification_configurations(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeNotificationConfigurationsType,
) -> Result<DescribeNotificationConfigurationsAnswer, AwsError> {
    let names = input.auto_scaling_group_names.clone().unwrap_or_default();
    let all = asg.state.read(
        ctx.account_id(),
        &ctx.region,
        |r| -> Result<Vec<NotificationConfiguration>, AwsError> {
            for n in &names {
                group_ref(r, n)?;
            }
            Ok(r.groups
                .values()
                .filter(|g| names.is_empty() || names.contains(&g.name))
                .flat_map(|g| {
                    g.notifications.iter().flat_map(move |(topic, types)| {
                        types.iter().map(move |t| NotificationConfiguration {
                            auto_scaling_group_name: Some(g.name.clone()),
                            topic_arn: Some(topic.clone()),
                            notification_type: Some(t.clone()),
                        })
                    })
                })
                .collect())
        },
    )?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(DescribeNotificationConfigurationsAnswer {
        notification_configurations: items,
        next_token: next,
    })
}

pub fn delete_notification_configuration(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteNotificationConfigurationType,
) -> Result<(), AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        if g.notifications.remove(&input.topic_arn).is_none() {
            return Err(validation(format!(
                "Notification configuration for topic {} not found for Auto Scaling group {}.",
                input.topic_arn, g.name
            )));
        }
        Ok(())
    })
}
