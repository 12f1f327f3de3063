//! Classic ELB's errors, raised by shape name (the query codec writes their
//! codes: `LoadBalancerNotFound`, `DuplicateLoadBalancerName`, ...) or as
//! the generic `ValidationError`.

use stratus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", message)
}

/// Classic ELB answers this one with 409, unlike ELBv2.
pub fn invalid_config(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "InvalidConfigurationRequestException", message)
}

pub fn lb_not_found(name: &str) -> AwsError {
    AwsError::bad_request(
        "AccessPointNotFoundException",
        format!("There is no ACTIVE Load Balancer named '{name}'"),
    )
}

pub fn duplicate_name(name: &str) -> AwsError {
    AwsError::bad_request(
        "DuplicateAccessPointNameException",
        format!(
            "Load Balancer named '{name}' already exists and it is configured with different parameters."
        ),
    )
}

pub fn too_many_lbs(max: usize) -> AwsError {
    AwsError::bad_request(
        "TooManyAccessPointsException",
        format!("Exceeded quota of account: {max} load balancers"),
    )
}

pub fn invalid_instance(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidEndPointException", message)
}

pub fn duplicate_listener(port: i32) -> AwsError {
    AwsError::bad_request(
        "DuplicateListenerException",
        format!(
            "A listener already exists for the load balancer on port {port} with a different configuration"
        ),
    )
}

pub fn listener_not_found(name: &str, port: i32) -> AwsError {
    AwsError::bad_request(
        "ListenerNotFoundException",
        format!("There is no listener configured on LoadBalancer '{name}' for port {port}"),
    )
}

pub fn policy_not_found(policy: &str) -> AwsError {
    AwsError::bad_request(
        "PolicyNotFoundException",
        format!("There is no policy with name {policy} for load balancer"),
    )
}

pub fn duplicate_policy(policy: &str, lb: &str) -> AwsError {
    AwsError::bad_request(
        "DuplicatePolicyNameException",
        format!("Policy {policy} already exists for load balancer {lb}"),
    )
}

pub fn policy_type_not_found(name: &str) -> AwsError {
    AwsError::bad_request(
        "PolicyTypeNotFoundException",
        format!("There is no policy type with name {name}"),
    )
}

pub fn subnet_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "SubnetNotFoundException",
        format!("The subnet '{id}' does not exist"),
    )
}

pub fn invalid_subnet(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidSubnetException", message)
}

pub fn invalid_security_group(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidSecurityGroupException",
        format!("One or more security groups are invalid: {id}"),
    )
}

pub fn certificate_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "CertificateNotFoundException",
        format!("The specified SSL certificate '{id}' could not be found"),
    )
}

pub fn too_many_tags() -> AwsError {
    AwsError::bad_request(
        "TooManyTagsException",
        "The quota for the number of tags that can be assigned to a load balancer has been reached (10)",
    )
}

pub fn duplicate_tag_keys(key: &str) -> AwsError {
    AwsError::bad_request(
        "DuplicateTagKeysException",
        format!("Tag key '{key}' was specified more than once"),
    )
}

pub fn attribute_not_found(key: &str) -> AwsError {
    AwsError::bad_request(
        "LoadBalancerAttributeNotFoundException",
        format!("The specified load balancer attribute '{key}' does not exist"),
    )
}
