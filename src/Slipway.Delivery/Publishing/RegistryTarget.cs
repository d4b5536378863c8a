using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>Where PushEcr publishes images.</summary>
public abstract record RegistryTarget;

/// <summary>
/// Amazon ECR in one account and region. <paramref name="ApiEndpoint"/> overrides the control-plane endpoint
/// (default https://api.ecr.REGION.amazonaws.com, or AWS_ENDPOINT_URL_ECR).
/// </summary>
public sealed record EcrRegistryTarget(string Region, string AccountId, Uri? ApiEndpoint = null) : RegistryTarget;

/// <summary>Any registry with a user and password (htpasswd), e.g. the local environment's registry.</summary>
public sealed record BasicAuthRegistryTarget(RegistryCredentials Credentials) : RegistryTarget;
