using Amazon.Runtime;
using Slipway.Tools.Aws;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>A logged-in registry: the host images are pushed to, its credentials, and (for ECR) the client to manage repositories.</summary>
public sealed record RegistrySession(string Host, RegistryCredentials Credentials, EcrClient? Ecr);

/// <summary>
/// Turns a registry target into credentials: for ECR, AWS credentials (<paramref name="aws"/>, else the AWS SDK's
/// default chain), then GetAuthorizationToken (whose token decodes to "AWS:password"); for a basic-auth registry,
/// the credentials as given.
/// </summary>
public sealed class RegistryLogin(HttpClient http, AWSCredentials? aws = null)
{
    public async Task<RegistrySession> LoginAsync(RegistryTarget target, Action<string> log, CancellationToken cancellationToken)
    {
        switch (target)
        {
            case BasicAuthRegistryTarget basic:
                var host = ImageReference.RegistryHost(basic.Credentials.Server);
                log($"registry {host}: user {basic.Credentials.User}");
                return new RegistrySession(host, basic.Credentials, Ecr: null);

            case EcrRegistryTarget ecr:
                try
                {
                    var credentials = await AwsCredentialResolver.ResolveAsync(aws, cancellationToken);
                    log(credentials.ToString());
                    var client = new EcrClient(http, credentials.Credentials, ecr.Region, ecr.ApiEndpoint);
                    var authorization = await client.GetAuthorizationTokenAsync(cancellationToken);
                    var registryHost = authorization.ProxyEndpoint.Authority;
                    log($"{authorization} for account {ecr.AccountId}");
                    return new RegistrySession(registryHost, new RegistryCredentials(registryHost, authorization.User, authorization.Password), client);
                }
                catch (Exception e) when (e is AwsCredentialsException or EcrException)
                {
                    throw new DeliveryException(e.Message, inner: e);
                }

            default:
                throw new ArgumentException($"unknown registry target {target.GetType().Name}", nameof(target));
        }
    }
}
