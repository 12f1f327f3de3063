//! The IAM operations, one module per resource; the trait impl only routes.

pub mod account;
pub mod common;
pub mod credentials;
pub mod groups;
pub mod oidc;
pub mod policies;
pub mod roles;
pub mod saml;
pub mod service_roles;
pub mod simulate;
pub mod users;

use stratus_core::{AwsError, RequestContext};

use crate::Iam;
use crate::generated::*;

impl Handlers for Iam {
    async fn add_client_id_to_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: AddClientIDToOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::add_client_id_to_open_id_connect_provider(self, ctx, input)
    }

    async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: AddRoleToInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        roles::add_role_to_instance_profile(self, ctx, input)
    }

    async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AddUserToGroupRequest,
    ) -> Result<(), AwsError> {
        groups::add_user_to_group(self, ctx, input)
    }

    async fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        input: AttachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::attach_group_policy(self, ctx, input)
    }

    async fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        input: AttachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::attach_role_policy(self, ctx, input)
    }

    async fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        input: AttachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::attach_user_policy(self, ctx, input)
    }

    async fn change_password(
        &self,
        ctx: &RequestContext,
        input: ChangePasswordRequest,
    ) -> Result<(), AwsError> {
        credentials::change_password(self, ctx, input)
    }

    async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        credentials::create_access_key(self, ctx, input)
    }

    async fn create_account_alias(
        &self,
        ctx: &RequestContext,
        input: CreateAccountAliasRequest,
    ) -> Result<(), AwsError> {
        account::create_account_alias(self, ctx, input)
    }

    async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, AwsError> {
        groups::create_group(self, ctx, input)
    }

    async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: CreateInstanceProfileRequest,
    ) -> Result<CreateInstanceProfileResponse, AwsError> {
        roles::create_instance_profile(self, ctx, input)
    }

    async fn create_login_profile(
        &self,
        ctx: &RequestContext,
        input: CreateLoginProfileRequest,
    ) -> Result<CreateLoginProfileResponse, AwsError> {
        credentials::create_login_profile(self, ctx, input)
    }

    async fn create_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: CreateOpenIDConnectProviderRequest,
    ) -> Result<CreateOpenIDConnectProviderResponse, AwsError> {
        oidc::create_open_id_connect_provider(self, ctx, input)
    }

    async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse, AwsError> {
        policies::create_policy(self, ctx, input)
    }

    async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyVersionRequest,
    ) -> Result<CreatePolicyVersionResponse, AwsError> {
        policies::create_policy_version(self, ctx, input)
    }

    async fn create_role(
        &self,
        ctx: &RequestContext,
        input: CreateRoleRequest,
    ) -> Result<CreateRoleResponse, AwsError> {
        roles::create_role(self, ctx, input)
    }

    async fn create_saml_provider(
        &self,
        ctx: &RequestContext,
        input: CreateSAMLProviderRequest,
    ) -> Result<CreateSAMLProviderResponse, AwsError> {
        saml::create_saml_provider(self, ctx, input)
    }

    async fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: CreateServiceLinkedRoleRequest,
    ) -> Result<CreateServiceLinkedRoleResponse, AwsError> {
        service_roles::create_service_linked_role(self, ctx, input)
    }

    async fn create_user(
        &self,
        ctx: &RequestContext,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, AwsError> {
        users::create_user(self, ctx, input)
    }

    async fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: CreateVirtualMFADeviceRequest,
    ) -> Result<CreateVirtualMFADeviceResponse, AwsError> {
        credentials::create_virtual_mfa_device(self, ctx, input)
    }

    async fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeactivateMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::deactivate_mfa_device(self, ctx, input)
    }

    async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessKeyRequest,
    ) -> Result<(), AwsError> {
        credentials::delete_access_key(self, ctx, input)
    }

    async fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        input: DeleteAccountAliasRequest,
    ) -> Result<(), AwsError> {
        account::delete_account_alias(self, ctx, input)
    }

    async fn delete_account_password_policy(
        &self,
        ctx: &RequestContext,
        _input: (),
    ) -> Result<(), AwsError> {
        credentials::delete_account_password_policy(self, ctx)
    }

    async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupRequest,
    ) -> Result<(), AwsError> {
        groups::delete_group(self, ctx, input)
    }

    async fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::delete_group_policy(self, ctx, input)
    }

    async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        roles::delete_instance_profile(self, ctx, input)
    }

    async fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteLoginProfileRequest,
    ) -> Result<(), AwsError> {
        credentials::delete_login_profile(self, ctx, input)
    }

    async fn delete_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: DeleteOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::delete_open_id_connect_provider(self, ctx, input)
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::delete_policy(self, ctx, input)
    }

    async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyVersionRequest,
    ) -> Result<(), AwsError> {
        policies::delete_policy_version(self, ctx, input)
    }

    async fn delete_role(
        &self,
        ctx: &RequestContext,
        input: DeleteRoleRequest,
    ) -> Result<(), AwsError> {
        roles::delete_role(self, ctx, input)
    }

    async fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        policies::delete_role_permissions_boundary(self, ctx, input)
    }

    async fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::delete_role_policy(self, ctx, input)
    }

    async fn delete_saml_provider(
        &self,
        ctx: &RequestContext,
        input: DeleteSAMLProviderRequest,
    ) -> Result<(), AwsError> {
        saml::delete_saml_provider(self, ctx, input)
    }

    async fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: DeleteServiceLinkedRoleRequest,
    ) -> Result<DeleteServiceLinkedRoleResponse, AwsError> {
        service_roles::delete_service_linked_role(self, ctx, input)
    }

    async fn delete_user(
        &self,
        ctx: &RequestContext,
        input: DeleteUserRequest,
    ) -> Result<(), AwsError> {
        users::delete_user(self, ctx, input)
    }

    async fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        policies::delete_user_permissions_boundary(self, ctx, input)
    }

    async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::delete_user_policy(self, ctx, input)
    }

    async fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeleteVirtualMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::delete_virtual_mfa_device(self, ctx, input)
    }

    async fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        input: DetachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::detach_group_policy(self, ctx, input)
    }

    async fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        input: DetachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::detach_role_policy(self, ctx, input)
    }

    async fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        input: DetachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::detach_user_policy(self, ctx, input)
    }

    async fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        input: EnableMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::enable_mfa_device(self, ctx, input)
    }

    async fn generate_credential_report(
        &self,
        ctx: &RequestContext,
        _input: (),
    ) -> Result<GenerateCredentialReportResponse, AwsError> {
        account::generate_credential_report(self, ctx)
    }

    async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: GetAccessKeyLastUsedRequest,
    ) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
        credentials::get_access_key_last_used(self, ctx, input)
    }

    async fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: GetAccountAuthorizationDetailsRequest,
    ) -> Result<GetAccountAuthorizationDetailsResponse, AwsError> {
        account::get_account_authorization_details(self, ctx, input)
    }

    async fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
        _input: (),
    ) -> Result<GetAccountPasswordPolicyResponse, AwsError> {
        credentials::get_account_password_policy(self, ctx)
    }

    async fn get_account_summary(
        &self,
        ctx: &RequestContext,
        _input: (),
    ) -> Result<GetAccountSummaryResponse, AwsError> {
        account::get_account_summary(self, ctx)
    }

    async fn get_context_keys_for_custom_policy(
        &self,
        ctx: &RequestContext,
        input: GetContextKeysForCustomPolicyRequest,
    ) -> Result<GetContextKeysForPolicyResponse, AwsError> {
        simulate::get_context_keys_for_custom_policy(self, ctx, input)
    }

    async fn get_context_keys_for_principal_policy(
        &self,
        ctx: &RequestContext,
        input: GetContextKeysForPrincipalPolicyRequest,
    ) -> Result<GetContextKeysForPolicyResponse, AwsError> {
        simulate::get_context_keys_for_principal_policy(self, ctx, input)
    }

    async fn get_credential_report(
        &self,
        ctx: &RequestContext,
        _input: (),
    ) -> Result<GetCredentialReportResponse, AwsError> {
        account::get_credential_report(self, ctx)
    }

    async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, AwsError> {
        groups::get_group(self, ctx, input)
    }

    async fn get_group_policy(
        &self,
        ctx: &RequestContext,
        input: GetGroupPolicyRequest,
    ) -> Result<GetGroupPolicyResponse, AwsError> {
        policies::get_group_policy(self, ctx, input)
    }

    async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: GetInstanceProfileRequest,
    ) -> Result<GetInstanceProfileResponse, AwsError> {
        roles::get_instance_profile(self, ctx, input)
    }

    async fn get_login_profile(
        &self,
        ctx: &RequestContext,
        input: GetLoginProfileRequest,
    ) -> Result<GetLoginProfileResponse, AwsError> {
        credentials::get_login_profile(self, ctx, input)
    }

    async fn get_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: GetOpenIDConnectProviderRequest,
    ) -> Result<GetOpenIDConnectProviderResponse, AwsError> {
        oidc::get_open_id_connect_provider(self, ctx, input)
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        policies::get_policy(self, ctx, input)
    }

    async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, AwsError> {
        policies::get_policy_version(self, ctx, input)
    }

    async fn get_role(
        &self,
        ctx: &RequestContext,
        input: GetRoleRequest,
    ) -> Result<GetRoleResponse, AwsError> {
        roles::get_role(self, ctx, input)
    }

    async fn get_role_policy(
        &self,
        ctx: &RequestContext,
        input: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse, AwsError> {
        policies::get_role_policy(self, ctx, input)
    }

    async fn get_saml_provider(
        &self,
        ctx: &RequestContext,
        input: GetSAMLProviderRequest,
    ) -> Result<GetSAMLProviderResponse, AwsError> {
        saml::get_saml_provider(self, ctx, input)
    }

    async fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: GetServiceLinkedRoleDeletionStatusRequest,
    ) -> Result<GetServiceLinkedRoleDeletionStatusResponse, AwsError> {
        service_roles::get_service_linked_role_deletion_status(self, ctx, input)
    }

    async fn get_user(
        &self,
        ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, AwsError> {
        users::get_user(self, ctx, input)
    }

    async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        input: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse, AwsError> {
        policies::get_user_policy(self, ctx, input)
    }

    async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        credentials::list_access_keys(self, ctx, input)
    }

    async fn list_account_aliases(
        &self,
        ctx: &RequestContext,
        input: ListAccountAliasesRequest,
    ) -> Result<ListAccountAliasesResponse, AwsError> {
        account::list_account_aliases(self, ctx, input)
    }

    async fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedGroupPoliciesRequest,
    ) -> Result<ListAttachedGroupPoliciesResponse, AwsError> {
        policies::list_attached_group_policies(self, ctx, input)
    }

    async fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
        policies::list_attached_role_policies(self, ctx, input)
    }

    async fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
        policies::list_attached_user_policies(self, ctx, input)
    }

    async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse, AwsError> {
        policies::list_entities_for_policy(self, ctx, input)
    }

    async fn list_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListGroupPoliciesRequest,
    ) -> Result<ListGroupPoliciesResponse, AwsError> {
        policies::list_group_policies(self, ctx, input)
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<ListGroupsResponse, AwsError> {
        groups::list_groups(self, ctx, input)
    }

    async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, AwsError> {
        groups::list_groups_for_user(self, ctx, input)
    }

    async fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfileTagsRequest,
    ) -> Result<ListInstanceProfileTagsResponse, AwsError> {
        roles::list_instance_profile_tags(self, ctx, input)
    }

    async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesRequest,
    ) -> Result<ListInstanceProfilesResponse, AwsError> {
        roles::list_instance_profiles(self, ctx, input)
    }

    async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesForRoleRequest,
    ) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
        roles::list_instance_profiles_for_role(self, ctx, input)
    }

    async fn list_mfa_device_tags(
        &self,
        ctx: &RequestContext,
        input: ListMFADeviceTagsRequest,
    ) -> Result<ListMFADeviceTagsResponse, AwsError> {
        credentials::list_mfa_device_tags(self, ctx, input)
    }

    async fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListMFADevicesRequest,
    ) -> Result<ListMFADevicesResponse, AwsError> {
        credentials::list_mfa_devices(self, ctx, input)
    }

    async fn list_open_id_connect_provider_tags(
        &self,
        ctx: &RequestContext,
        input: ListOpenIDConnectProviderTagsRequest,
    ) -> Result<ListOpenIDConnectProviderTagsResponse, AwsError> {
        oidc::list_open_id_connect_provider_tags(self, ctx, input)
    }

    async fn list_open_id_connect_providers(
        &self,
        ctx: &RequestContext,
        input: ListOpenIDConnectProvidersRequest,
    ) -> Result<ListOpenIDConnectProvidersResponse, AwsError> {
        oidc::list_open_id_connect_providers(self, ctx, input)
    }

    async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse, AwsError> {
        policies::list_policies(self, ctx, input)
    }

    async fn list_policy_tags(
        &self,
        ctx: &RequestContext,
        input: ListPolicyTagsRequest,
    ) -> Result<ListPolicyTagsResponse, AwsError> {
        policies::list_policy_tags(self, ctx, input)
    }

    async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse, AwsError> {
        policies::list_policy_versions(self, ctx, input)
    }

    async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, AwsError> {
        policies::list_role_policies(self, ctx, input)
    }

    async fn list_role_tags(
        &self,
        ctx: &RequestContext,
        input: ListRoleTagsRequest,
    ) -> Result<ListRoleTagsResponse, AwsError> {
        roles::list_role_tags(self, ctx, input)
    }

    async fn list_roles(
        &self,
        ctx: &RequestContext,
        input: ListRolesRequest,
    ) -> Result<ListRolesResponse, AwsError> {
        roles::list_roles(self, ctx, input)
    }

    async fn list_saml_provider_tags(
        &self,
        ctx: &RequestContext,
        input: ListSAMLProviderTagsRequest,
    ) -> Result<ListSAMLProviderTagsResponse, AwsError> {
        saml::list_saml_provider_tags(self, ctx, input)
    }

    async fn list_saml_providers(
        &self,
        ctx: &RequestContext,
        input: ListSAMLProvidersRequest,
    ) -> Result<ListSAMLProvidersResponse, AwsError> {
        saml::list_saml_providers(self, ctx, input)
    }

    async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, AwsError> {
        policies::list_user_policies(self, ctx, input)
    }

    async fn list_user_tags(
        &self,
        ctx: &RequestContext,
        input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, AwsError> {
        users::list_user_tags(self, ctx, input)
    }

    async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, AwsError> {
        users::list_users(self, ctx, input)
    }

    async fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListVirtualMFADevicesRequest,
    ) -> Result<ListVirtualMFADevicesResponse, AwsError> {
        credentials::list_virtual_mfa_devices(self, ctx, input)
    }

    async fn put_group_policy(
        &self,
        ctx: &RequestContext,
        input: PutGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::put_group_policy(self, ctx, input)
    }

    async fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        policies::put_role_permissions_boundary(self, ctx, input)
    }

    async fn put_role_policy(
        &self,
        ctx: &RequestContext,
        input: PutRolePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::put_role_policy(self, ctx, input)
    }

    async fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        policies::put_user_permissions_boundary(self, ctx, input)
    }

    async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        input: PutUserPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::put_user_policy(self, ctx, input)
    }

    async fn remove_client_id_from_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: RemoveClientIDFromOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::remove_client_id_from_open_id_connect_provider(self, ctx, input)
    }

    async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        roles::remove_role_from_instance_profile(self, ctx, input)
    }

    async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: RemoveUserFromGroupRequest,
    ) -> Result<(), AwsError> {
        groups::remove_user_from_group(self, ctx, input)
    }

    async fn resync_mfa_device(
        &self,
        ctx: &RequestContext,
        input: ResyncMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::resync_mfa_device(self, ctx, input)
    }

    async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: SetDefaultPolicyVersionRequest,
    ) -> Result<(), AwsError> {
        policies::set_default_policy_version(self, ctx, input)
    }

    async fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: SimulateCustomPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        simulate::simulate_custom_policy(self, ctx, input)
    }

    async fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: SimulatePrincipalPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        simulate::simulate_principal_policy(self, ctx, input)
    }

    async fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: TagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        roles::tag_instance_profile(self, ctx, input)
    }

    async fn tag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: TagMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::tag_mfa_device(self, ctx, input)
    }

    async fn tag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: TagOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::tag_open_id_connect_provider(self, ctx, input)
    }

    async fn tag_policy(
        &self,
        ctx: &RequestContext,
        input: TagPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::tag_policy(self, ctx, input)
    }

    async fn tag_role(&self, ctx: &RequestContext, input: TagRoleRequest) -> Result<(), AwsError> {
        roles::tag_role(self, ctx, input)
    }

    async fn tag_saml_provider(
        &self,
        ctx: &RequestContext,
        input: TagSAMLProviderRequest,
    ) -> Result<(), AwsError> {
        saml::tag_saml_provider(self, ctx, input)
    }

    async fn tag_user(&self, ctx: &RequestContext, input: TagUserRequest) -> Result<(), AwsError> {
        users::tag_user(self, ctx, input)
    }

    async fn untag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: UntagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        roles::untag_instance_profile(self, ctx, input)
    }

    async fn untag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: UntagMFADeviceRequest,
    ) -> Result<(), AwsError> {
        credentials::untag_mfa_device(self, ctx, input)
    }

    async fn untag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: UntagOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::untag_open_id_connect_provider(self, ctx, input)
    }

    async fn untag_policy(
        &self,
        ctx: &RequestContext,
        input: UntagPolicyRequest,
    ) -> Result<(), AwsError> {
        policies::untag_policy(self, ctx, input)
    }

    async fn untag_role(
        &self,
        ctx: &RequestContext,
        input: UntagRoleRequest,
    ) -> Result<(), AwsError> {
        roles::untag_role(self, ctx, input)
    }

    async fn untag_saml_provider(
        &self,
        ctx: &RequestContext,
        input: UntagSAMLProviderRequest,
    ) -> Result<(), AwsError> {
        saml::untag_saml_provider(self, ctx, input)
    }

    async fn untag_user(
        &self,
        ctx: &RequestContext,
        input: UntagUserRequest,
    ) -> Result<(), AwsError> {
        users::untag_user(self, ctx, input)
    }

    async fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: UpdateAccessKeyRequest,
    ) -> Result<(), AwsError> {
        credentials::update_access_key(self, ctx, input)
    }

    async fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAccountPasswordPolicyRequest,
    ) -> Result<(), AwsError> {
        credentials::update_account_password_policy(self, ctx, input)
    }

    async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAssumeRolePolicyRequest,
    ) -> Result<(), AwsError> {
        roles::update_assume_role_policy(self, ctx, input)
    }

    async fn update_group(
        &self,
        ctx: &RequestContext,
        input: UpdateGroupRequest,
    ) -> Result<(), AwsError> {
        groups::update_group(self, ctx, input)
    }

    async fn update_login_profile(
        &self,
        ctx: &RequestContext,
        input: UpdateLoginProfileRequest,
    ) -> Result<(), AwsError> {
        credentials::update_login_profile(self, ctx, input)
    }

    async fn update_open_id_connect_provider_thumbprint(
        &self,
        ctx: &RequestContext,
        input: UpdateOpenIDConnectProviderThumbprintRequest,
    ) -> Result<(), AwsError> {
        oidc::update_open_id_connect_provider_thumbprint(self, ctx, input)
    }

    async fn update_role(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleRequest,
    ) -> Result<UpdateRoleResponse, AwsError> {
        roles::update_role(self, ctx, input)
    }

    async fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse, AwsError> {
        roles::update_role_description(self, ctx, input)
    }

    async fn update_saml_provider(
        &self,
        ctx: &RequestContext,
        input: UpdateSAMLProviderRequest,
    ) -> Result<UpdateSAMLProviderResponse, AwsError> {
        saml::update_saml_provider(self, ctx, input)
    }

    async fn update_user(
        &self,
        ctx: &RequestContext,
        input: UpdateUserRequest,
    ) -> Result<(), AwsError> {
        users::update_user(self, ctx, input)
    }
}
