//! Scenarios from the example policies of AWS's IAM User Guide, evaluated
//! the way the guide explains them.

use super::evaluate::{Decision, EvalRequest, PolicySet, Principal, evaluate};
use super::{Context, PolicyDocument, PolicyKind};

const ACCT: &str = "123456789012";

fn identity(docs: &[&str]) -> PolicySet {
    PolicySet {
        identity: docs
            .iter()
            .map(|d| PolicyDocument::parse(d, PolicyKind::Identity).unwrap())
            .collect(),
        ..Default::default()
    }
}

fn user(name: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{ACCT}:user/{name}"),
        account: ACCT.into(),
        ..Default::default()
    }
}

fn ctx_for(name: &str) -> Context {
    Context::new().with("aws:username", name).with(
        "aws:PrincipalArn",
        format!("arn:aws:iam::{ACCT}:user/{name}"),
    )
}

fn allowed(set: &PolicySet, p: &Principal, action: &str, resource: &str, c: &Context) -> bool {
    evaluate(
        set,
        &EvalRequest {
            action,
            resource,
            principal: p,
            context: c,
        },
    )
    .allowed()
}

/// "AWS: Allows MFA-authenticated IAM users to manage their own credentials":
/// without MFA only the listed actions (set up MFA) remain possible.
#[test]
fn self_managed_credentials_require_mfa() {
    let set = identity(&[r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Sid": "AllowManageOwnAccessKeys", "Effect": "Allow",
         "Action": ["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
         "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
        {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
         "Action": ["iam:EnableMFADevice","iam:ListMFADevices"], "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],
         "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
      ]}"#]);
    let p = user("Mary");
    let own = format!("arn:aws:iam::{ACCT}:user/Mary");
    let no_mfa = ctx_for("Mary");
    assert!(allowed(&set, &p, "iam:EnableMFADevice", &own, &no_mfa));
    assert!(!allowed(&set, &p, "iam:CreateAccessKey", &own, &no_mfa));
    let mfa = ctx_for("Mary").with("aws:MultiFactorAuthPresent", "true");
    assert!(allowed(&set, &p, "iam:CreateAccessKey", &own, &mfa));
    // Never someone else's keys.
    assert!(!allowed(
        &set,
        &p,
        "iam:CreateAccessKey",
        &format!("arn:aws:iam::{ACCT}:user/Bob"),
        &mfa
    ));
}

/// "AWS: Allows access based on date and time".
#[test]
fn access_within_dates() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"service-prefix:action-name","Resource":"*",
        "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}]}"#,
    ]);
    let p = user("a");
    let inside = ctx_for("a").with("aws:CurrentTime", "2020-05-15T10:00:00Z");
    let after = ctx_for("a").with("aws:CurrentTime", "2020-07-01T00:00:00Z");
    assert!(allowed(
        &set,
        &p,
        "service-prefix:action-name",
        "*",
        &inside
    ));
    assert!(!allowed(
        &set,
        &p,
        "service-prefix:action-name",
        "*",
        &after
    ));
}

/// "AWS: Denies access to AWS based on the requested Region", with global
/// services exempted through NotAction.
#[test]
fn deny_outside_regions() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllOutsideRequestedRegions","Effect":"Deny",
            "NotAction":["cloudfront:*","iam:*","route53:*","support:*"],"Resource":"*",
            "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1","eu-west-2","eu-west-3"]}}}]}"#,
    ]);
    let p = user("a");
    let us = ctx_for("a").with("aws:RequestedRegion", "us-east-1");
    let eu = ctx_for("a").with("aws:RequestedRegion", "eu-west-1");
    assert!(!allowed(&set, &p, "ec2:RunInstances", "*", &us));
    assert!(allowed(&set, &p, "ec2:RunInstances", "*", &eu));
    assert!(allowed(&set, &p, "iam:CreateUser", "*", &us));
}

/// "Amazon S3: Allows IAM users access to their S3 home directory".
#[test]
fn s3_home_directory() {
    let set = identity(&[r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AllowListingOfUserFolder","Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::bucket-name"],
         "Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
        {"Sid":"AllowAllS3ActionsInUserFolder","Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::bucket-name/home/${aws:username}/*"]}]}"#]);
    let p = user("JohnDoe");
    let list = |prefix: &str| ctx_for("JohnDoe").with("s3:prefix", prefix);
    assert!(allowed(
        &set,
        &p,
        "s3:ListBucket",
        "arn:aws:s3:::bucket-name",
        &list("home/")
    ));
    assert!(allowed(
        &set,
        &p,
        "s3:ListBucket",
        "arn:aws:s3:::bucket-name",
        &list("home/JohnDoe/photos")
    ));
    assert!(!allowed(
        &set,
        &p,
        "s3:ListBucket",
        "arn:aws:s3:::bucket-name",
        &list("home/Mary/")
    ));
    assert!(allowed(
        &set,
        &p,
        "s3:PutObject",
        "arn:aws:s3:::bucket-name/home/JohnDoe/a.txt",
        &ctx_for("JohnDoe")
    ));
    assert!(!allowed(
        &set,
        &p,
        "s3:PutObject",
        "arn:aws:s3:::bucket-name/home/Mary/a.txt",
        &ctx_for("JohnDoe")
    ));
}

/// "Amazon EC2: Allows starting or stopping instances a user has tagged"
/// (ABAC with the owner tag matching the user name).
#[test]
fn ec2_owner_tag_matches_user_name() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],
        "Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}"#,
    ]);
    let p = user("ana");
    let inst = format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0123");
    assert!(allowed(
        &set,
        &p,
        "ec2:StopInstances",
        &inst,
        &ctx_for("ana").with("aws:ResourceTag/Owner", "ana")
    ));
    assert!(!allowed(
        &set,
        &p,
        "ec2:StopInstances",
        &inst,
        &ctx_for("ana").with("aws:ResourceTag/Owner", "bob")
    ));
    assert!(!allowed(
        &set,
        &p,
        "ec2:TerminateInstances",
        &inst,
        &ctx_for("ana").with("aws:ResourceTag/Owner", "ana")
    ));
}

/// "AWS: Denies access to AWS based on the source IP", except through AWS services.
#[test]
fn deny_outside_source_ip() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
            "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}}"#,
    ]);
    let p = user("a");
    let office = ctx_for("a")
        .with("aws:SourceIp", "192.0.2.10")
        .with("aws:ViaAWSService", "false");
    let home = ctx_for("a")
        .with("aws:SourceIp", "198.51.100.7")
        .with("aws:ViaAWSService", "false");
    let via = ctx_for("a")
        .with("aws:SourceIp", "198.51.100.7")
        .with("aws:ViaAWSService", "true");
    assert!(allowed(&set, &p, "s3:GetObject", "*", &office));
    assert!(!allowed(&set, &p, "s3:GetObject", "*", &home));
    assert!(allowed(&set, &p, "s3:GetObject", "*", &via));
}

/// Controlling tag keys in requests: ForAllValues over aws:TagKeys.
#[test]
fn only_allowed_tag_keys() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Department","JobFunction"]},"StringEqualsIfExists":{"aws:RequestTag/Department":["Marketing","Sales"]}}}]}"#,
    ]);
    let p = user("a");
    let mut ok = ctx_for("a");
    ok.set_many("aws:TagKeys", vec!["Department".into()]);
    ok.set("aws:RequestTag/Department", "Sales");
    assert!(allowed(&set, &p, "iam:TagUser", "*", &ok));
    let mut bad_key = ctx_for("a");
    bad_key.set_many(
        "aws:TagKeys",
        vec!["Department".into(), "CostCenter".into()],
    );
    assert!(!allowed(&set, &p, "iam:TagUser", "*", &bad_key));
    let mut bad_value = ctx_for("a");
    bad_value.set_many("aws:TagKeys", vec!["Department".into()]);
    bad_value.set("aws:RequestTag/Department", "Legal");
    assert!(!allowed(&set, &p, "iam:TagUser", "*", &bad_value));
}

/// "Amazon DynamoDB: Allows access to specific attributes" with leading keys
/// taken from a web identity variable.
#[test]
fn dynamodb_fine_grained_access() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],
        "Resource":["arn:aws:dynamodb:*:*:table/GameScores"],
        "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${www.amazon.com:user_id}"],"dynamodb:Attributes":["UserId","GameTitle","Wins"]},
                     "StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}}]}"#,
    ]);
    let p = user("a");
    let table = format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/GameScores");
    let mut mine = Context::new().with("www.amazon.com:user_id", "amzn1.account.X");
    mine.set_many("dynamodb:LeadingKeys", vec!["amzn1.account.X".into()]);
    mine.set_many("dynamodb:Attributes", vec!["UserId".into(), "Wins".into()]);
    mine.set("dynamodb:Select", "SPECIFIC_ATTRIBUTES");
    assert!(allowed(&set, &p, "dynamodb:Query", &table, &mine));
    let mut other = mine.clone();
    other.set_many("dynamodb:LeadingKeys", vec!["amzn1.account.Y".into()]);
    assert!(!allowed(&set, &p, "dynamodb:Query", &table, &other));
    let mut too_much = mine.clone();
    too_much.set_many(
        "dynamodb:Attributes",
        vec!["UserId".into(), "Secret".into()],
    );
    assert!(!allowed(&set, &p, "dynamodb:Query", &table, &too_much));
}

/// MFA age: allow only within an hour of authenticating.
#[test]
fn recent_mfa_only() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*",
        "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}}"#,
    ]);
    let p = user("a");
    assert!(allowed(
        &set,
        &p,
        "ec2:RunInstances",
        "*",
        &ctx_for("a").with("aws:MultiFactorAuthAge", "120")
    ));
    assert!(!allowed(
        &set,
        &p,
        "ec2:RunInstances",
        "*",
        &ctx_for("a").with("aws:MultiFactorAuthAge", "7200")
    ));
    // Long-term keys carry no MFA age: the condition fails.
    assert!(!allowed(&set, &p, "ec2:RunInstances", "*", &ctx_for("a")));
}

/// The Null operator: deny requests made with long-term credentials (no
/// aws:TokenIssueTime).
#[test]
fn deny_long_term_credentials() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}"#,
    ]);
    let p = user("a");
    assert!(!allowed(
        &set,
        &p,
        "s3:ListAllMyBuckets",
        "*",
        &ctx_for("a")
    ));
    assert!(allowed(
        &set,
        &p,
        "s3:ListAllMyBuckets",
        "*",
        &ctx_for("a").with("aws:TokenIssueTime", "2024-01-01T00:00:00Z")
    ));
}

/// "Permissions boundaries for IAM entities": effective permissions are the
/// intersection of the boundary and the identity policy.
#[test]
fn boundary_intersection() {
    let mut set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}}"#,
    ]);
    set.boundary = Some(vec![PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap()]);
    let p = user("ShirleyRodriguez");
    let c = ctx_for("ShirleyRodriguez");
    // The identity policy allows CreateUser, the boundary does not: denied.
    assert!(!allowed(&set, &p, "iam:CreateUser", "*", &c));
    // The boundary allows S3, no identity policy does: denied as well.
    assert!(!allowed(&set, &p, "s3:GetObject", "*", &c));
}

/// A queue policy that lets only one SNS topic send messages (ArnEquals on
/// aws:SourceArn, a service principal).
#[test]
fn queue_policy_for_an_sns_topic() {
    let queue = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",
            "Resource":"arn:aws:sqs:us-east-2:123456789012:MyQueue","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:MyTopic"}}}]}"#,
        PolicyKind::Resource,
    )
    .unwrap();
    let sns = Principal {
        arn: String::new(),
        account: String::new(),
        role_arn: None,
        service: Some("sns.amazonaws.com".into()),
        federated: None,
    };
    let set = PolicySet {
        resource: vec![queue],
        ..Default::default()
    };
    let from = |arn: &str| Context::new().with("aws:SourceArn", arn);
    assert!(allowed(
        &set,
        &sns,
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-2:123456789012:MyQueue",
        &from("arn:aws:sns:us-east-2:123456789012:MyTopic")
    ));
    assert!(!allowed(
        &set,
        &sns,
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-2:123456789012:MyQueue",
        &from("arn:aws:sns:us-east-2:123456789012:Other")
    ));
}

/// NotPrincipal with Deny: everyone but the named user is refused.
#[test]
fn not_principal_deny() {
    let bucket = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/Bob"]},"Action":"s3:*",
            "Resource":["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}]}"#,
        PolicyKind::Resource,
    )
    .unwrap();
    let mut set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    ]);
    set.resource = vec![bucket];
    let bob = user("Bob");
    let eve = user("Eve");
    assert!(allowed(
        &set,
        &bob,
        "s3:GetObject",
        "arn:aws:s3:::BUCKETNAME/k",
        &ctx_for("Bob")
    ));
    assert_eq!(
        evaluate(
            &set,
            &EvalRequest {
                action: "s3:GetObject",
                resource: "arn:aws:s3:::BUCKETNAME/k",
                principal: &eve,
                context: &ctx_for("Eve")
            }
        ),
        Decision::ExplicitDeny(super::DenySource::Resource)
    );
}

/// Special characters: `${*}` stands for a literal asterisk in a resource.
#[test]
fn literal_asterisk_in_a_resource() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/${*}report${*}"}}"#,
    ]);
    let p = user("a");
    let c = ctx_for("a");
    assert!(allowed(
        &set,
        &p,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*report*",
        &c
    ));
    assert!(!allowed(
        &set,
        &p,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/a-report-b",
        &c
    ));
}

/// Multiple values of one key are ORed; multiple keys and operators are ANDed.
#[test]
fn condition_logic() {
    let set = identity(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*",
        "Condition":{"StringEquals":{"aws:PrincipalTag/department":["finance","hr","legal"],"aws:PrincipalTag/role":["audit","security"]},
                     "ArnLike":{"aws:PrincipalArn":["arn:aws:iam::222222222222:user/Ana","arn:aws:iam::222222222222:user/Mary"]}}}}"#,
    ]);
    let p = user("Ana");
    let c = |dept: &str, role: &str, arn: &str| {
        Context::new()
            .with("aws:PrincipalTag/department", dept)
            .with("aws:PrincipalTag/role", role)
            .with("aws:PrincipalArn", arn)
    };
    assert!(allowed(
        &set,
        &p,
        "iam:GetUser",
        "*",
        &c("hr", "audit", "arn:aws:iam::222222222222:user/Ana")
    ));
    assert!(!allowed(
        &set,
        &p,
        "iam:GetUser",
        "*",
        &c("sales", "audit", "arn:aws:iam::222222222222:user/Ana")
    ));
    assert!(!allowed(
        &set,
        &p,
        "iam:GetUser",
        "*",
        &c("hr", "dev", "arn:aws:iam::222222222222:user/Ana")
    ));
    assert!(!allowed(
        &set,
        &p,
        "iam:GetUser",
        "*",
        &c("hr", "audit", "arn:aws:iam::222222222222:user/Bob")
    ));
}

/// "IAM: Allows IAM users to change their own password": the managed policy
/// IAMUserChangePassword, as published.
#[test]
fn change_own_password() {
    let doc = crate::managed::find("arn:aws:iam::aws:policy/IAMUserChangePassword")
        .unwrap()
        .document;
    let set = identity(&[doc]);
    let p = user("ana");
    assert!(allowed(
        &set,
        &p,
        "iam:ChangePassword",
        &format!("arn:aws:iam::{ACCT}:user/ana"),
        &ctx_for("ana")
    ));
    assert!(!allowed(
        &set,
        &p,
        "iam:ChangePassword",
        &format!("arn:aws:iam::{ACCT}:user/bob"),
        &ctx_for("ana")
    ));
    assert!(allowed(
        &set,
        &p,
        "iam:GetAccountPasswordPolicy",
        "*",
        &ctx_for("ana")
    ));
}

/// PowerUserAccess, as published: everything but IAM, Organizations and
/// Account, plus the few IAM actions it lists.
#[test]
fn power_user_access() {
    let doc = crate::managed::find("arn:aws:iam::aws:policy/PowerUserAccess")
        .unwrap()
        .document;
    let set = identity(&[doc]);
    let p = user("a");
    let c = ctx_for("a");
    assert!(allowed(&set, &p, "ec2:RunInstances", "*", &c));
    assert!(allowed(&set, &p, "iam:ListRoles", "*", &c));
    assert!(allowed(&set, &p, "iam:CreateServiceLinkedRole", "*", &c));
    assert!(!allowed(&set, &p, "iam:CreateUser", "*", &c));
    assert!(!allowed(&set, &p, "organizations:CreateAccount", "*", &c));
}
