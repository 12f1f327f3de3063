//! Service-linked roles: roles a service creates for itself, under
//! `/aws-service-role/SERVICE/`, trusted by that service only.

use stratus_core::{AwsError, RequestContext, ids};

use super::common::*;
use super::roles::role_out;
use crate::Iam;
use crate::generated::*;
use crate::state::{self, Tags};

/// The role names AWS gives common services' linked roles.
const NAMES: &[(&str, &str)] = &[
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
    ),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
    ("spotfleet.amazonaws.com", "AWSServiceRoleForEC2SpotFleet"),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
    (
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
    ),
    ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache"),
    (
        "es.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
    ),
    (
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
    ),
    ("config.amazonaws.com", "AWSServiceRoleForConfig"),
    ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents"),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ),
    (
        "transitgateway.amazonaws.com",
        "AWSServiceRoleForVPCTransitGateway",
    ),
];

/// AWS's name for a service's linked role; other services get the same
/// pattern from their first host label.
fn role_name(service: &str) -> String {
    if let Some((_, n)) = NAMES.iter().find(|(s, _)| *s == service) {
        return n.to_string();
    }
    let label = service.split('.').next().unwrap_or(service);
    let camel: String = label
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    format!("AWSServiceRoleFor{camel}")
}

pub fn create_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateServiceLinkedRoleRequest,
) -> Result<CreateServiceLinkedRoleResponse, AwsError> {
    let service = i.aws_service_name.clone();
    if !service.ends_with(".amazonaws.com") {
        return Err(invalid(format!("Service name {service} is not valid.")));
    }
    let mut name = role_name(&service);
    if let Some(s) = &i.custom_suffix {
        name = format!("{name}_{s}");
    }
    let account = ctx.account_id().to_string();
    let path = format!("/aws-service-role/{service}/");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":["{service}"]}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let now = now(ctx);
    iam.state.write(&account, |a| {
        if a.roles.contains_key(&name.to_lowercase()) {
            return Err(invalid(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            )));
        }
        let r = state::Role {
            arn: arn(&account, "role", &path, &name),
            name: name.clone(),
            path,
            id: unique_id("AROA"),
            created_ms: now,
            trust,
            description: i.description,
            max_session: 3600,
            boundary: None,
            tags: Tags::default(),
            inline: Default::default(),
            attached: Vec::new(),
            last_used: None,
        };
        let mut out = role_out(&r, true);
        out.role_last_used = None;
        a.roles.insert(name.to_lowercase(), r);
        Ok(CreateServiceLinkedRoleResponse { role: Some(out) })
    })
}

pub fn delete_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteServiceLinkedRoleRequest,
) -> Result<DeleteServiceLinkedRoleResponse, AwsError> {
    let task = iam.state.write(ctx.account_id(), |a| {
        let r = a.role(&i.role_name)?;
        let Some(service) = r
            .path
            .strip_prefix("/aws-service-role/")
            .map(|s| s.trim_end_matches('/').to_string())
        else {
            return Err(validation(format!(
                "Role {} is not a service-linked role.",
                r.name
            )));
        };
        let name = r.name.clone();
        if a.instance_profiles
            .values()
            .any(|p| p.roles.iter().any(|x| x.eq_ignore_ascii_case(&name)))
        {
            return Err(conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        a.roles.remove(&name.to_lowercase());
        Ok(format!(
            "task/aws-service-role/{service}/{name}/{}",
            ids::uuid_v4()
        ))
    })?;
    Ok(DeleteServiceLinkedRoleResponse {
        deletion_task_id: task,
    })
}

/// Deletion is immediate here, so every task Stratus handed out has succeeded.
pub fn get_service_linked_role_deletion_status(
    _iam: &Iam,
    _ctx: &RequestContext,
    i: GetServiceLinkedRoleDeletionStatusRequest,
) -> Result<GetServiceLinkedRoleDeletionStatusResponse, AwsError> {
    let parts: Vec<&str> = i.deletion_task_id.split('/').collect();
    if parts.len() < 5 || parts[0] != "task" || parts[1] != "aws-service-role" {
        return Err(invalid(format!(
            "Invalid deletion task id {}.",
            i.deletion_task_id
        )));
    }
    Ok(GetServiceLinkedRoleDeletionStatusResponse {
        status: "SUCCEEDED".into(),
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws() {
        assert_eq!(
            role_name("autoscaling.amazonaws.com"),
            "AWSServiceRoleForAutoScaling"
        );
        assert_eq!(role_name("ecs.amazonaws.com"), "AWSServiceRoleForECS");
        assert_eq!(
            role_name("replication.dynamodb.amazonaws.com"),
            "AWSServiceRoleForReplication"
        );
        assert_eq!(
            role_name("some-service.amazonaws.com"),
            "AWSServiceRoleForSomeService"
        );
    }
}
