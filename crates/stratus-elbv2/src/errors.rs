//! ELBv2's errors, raised by shape name (the query codec writes their codes:
//! `LoadBalancerNotFound`, `DuplicateListener`, ...) or as the generic
//! `ValidationError`.

use stratus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", message)
}

pub fn invalid_config(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidConfigurationRequestException", message)
}

pub fn lbs_not_found() -> AwsError {
    AwsError::bad_request(
        "LoadBalancerNotFoundException",
        "One or more load balancers not found",
    )
}

pub fn lb_not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "LoadBalancerNotFoundException",
        format!("Load balancer '{arn}' not found"),
    )
}

pub fn tgs_not_found() -> AwsError {
    AwsError::bad_request(
        "TargetGroupNotFoundException",
        "One or more target groups not found",
    )
}

pub fn tg_not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "TargetGroupNotFoundException",
        format!("Target groups '{arn}' not found"),
    )
}

pub fn action_tg_not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "TargetGroupNotFoundException",
        format!("Target group '{arn}' not found"),
    )
}

pub fn listeners_not_found() -> AwsError {
    AwsError::bad_request(
        "ListenerNotFoundException",
        "One or more listeners not found",
    )
}

pub fn listener_not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "ListenerNotFoundException",
        format!("Listener '{arn}' not found"),
    )
}

pub fn rules_not_found() -> AwsError {
    AwsError::bad_request("RuleNotFoundException", "One or more rules not found")
}

pub fn rule_not_found(arn: &str) -> AwsError {
    AwsError::bad_request("RuleNotFoundException", format!("Rule '{arn}' not found"))
}

pub fn invalid_action(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidLoadBalancerActionException", message)
}

pub fn invalid_target(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidTargetException", message)
}

pub fn operation_not_permitted(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("OperationNotPermittedException", message)
}

pub fn resource_in_use(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceInUseException", message)
}

pub fn too_many_tags() -> AwsError {
    AwsError::bad_request(
        "TooManyTagsException",
        "The quota for the number of tags that can be assigned to a load balancer has been reached",
    )
}
