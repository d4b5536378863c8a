using Amazon;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Slipway.Tools.Aws;

namespace Slipway.Delivery.Deployment.DynamoDb;

/// <summary>
/// The DynamoDB table an environment's deploy lock and ledger live in (terraform's output dynamodb_table_name, key
/// schema in build/terraform/dynamodb.tf), reached the way the AWS SDKs reach it: AWS_ENDPOINT_URL_DYNAMODB, else
/// AWS_ENDPOINT_URL, else the region's endpoint. Every call's AWS error becomes one line naming the table.
/// </summary>
internal sealed class DynamoDbTable : IDisposable
{
    private readonly AWSCredentials? credentials;
    private readonly AmazonDynamoDBConfig config;
    private readonly SemaphoreSlim connecting = new(1, 1);
    private AmazonDynamoDBClient? client;

    public DynamoDbTable(DynamoDbLocation location, Func<string, string?> variables, AWSCredentials? credentials)
    {
        Name = location.Table;
        Region = NonEmpty(location.Region) ?? NonEmpty(variables("AWS_REGION")) ?? NonEmpty(variables("AWS_DEFAULT_REGION"))
            ?? throw new DeliveryException($"no AWS region for DynamoDB table {Name} (the deploy lock and ledger): set it in the environment file, or AWS_REGION", DeliveryFailure.Usage);
        this.credentials = credentials;
        Endpoint = NonEmpty(variables("AWS_ENDPOINT_URL_DYNAMODB")) ?? NonEmpty(variables("AWS_ENDPOINT_URL"));
        config = new AmazonDynamoDBConfig
        {
            // Throttling and 5xx are retried by the SDK with backoff (standard mode); what still fails is said once.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 6,
            Timeout = TimeSpan.FromSeconds(15),
        };
        if (Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        }
    }

    public string Name { get; }

    public string Region { get; }

    /// <summary>The endpoint the variables chose, or null for the region's own.</summary>
    public string? Endpoint { get; }

    /// <summary>Runs one call, its AWS errors made one line; <see cref="ConditionalCheckFailedException"/> is the caller's to handle.</summary>
    /// <param name="grantedBy">The statement of the deploy role's policy that allows the call, named when DynamoDB denies it.</param>
    public async Task<T> CallAsync<T>(string what, DeployRoleStatement grantedBy, Func<IAmazonDynamoDB, Task<T>> call, CancellationToken ct)
        where T : AmazonWebServiceResponse
    {
        var dynamo = await ClientAsync(ct).ConfigureAwait(false);
        try
        {
            return await call(dynamo).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException e)
        {
            throw new DeliveryException($"DynamoDB table {Name} ({Where}) does not exist, so the deploy lock and ledger have nowhere to live: terraform creates it (build/terraform, dynamodb.tf); check the table name and region in the environment file", inner: e);
        }
        catch (AmazonDynamoDBException e) when (e.ErrorCode is "AccessDeniedException")
        {
            var action = $"dynamodb:{Action<T>()}";
            throw new DeliveryException($"DynamoDB denied {action} ({what}) on table {Name} ({Where}): the deploy role needs {action} in the {grantedBy} statement of build/terraform/iam.tf (terraform apply), or run with that role; AWS said: {FirstLine(e)}", DeliveryFailure.Usage, e);
        }
        catch (AmazonDynamoDBException e) when (e.ErrorCode is "UnrecognizedClientException" or "InvalidSignatureException" or "ExpiredTokenException")
        {
            throw new DeliveryException($"DynamoDB rejected the AWS credentials for {what} on table {Name} ({Where}): {e.ErrorCode}: {FirstLine(e)}", inner: e);
        }
        catch (AmazonDynamoDBException e) when (e is ProvisionedThroughputExceededException or RequestLimitExceededException || e.ErrorCode is "ThrottlingException")
        {
            throw new DeliveryException($"DynamoDB throttled {what} on table {Name} ({Where}) and kept doing so through {config.MaxErrorRetry} retries: try again in a minute", inner: e);
        }
        catch (AmazonServiceException e) when (e is not ConditionalCheckFailedException)
        {
            throw new DeliveryException($"DynamoDB {what} on table {Name} ({Where}) failed: {e.ErrorCode ?? e.StatusCode.ToString()}: {FirstLine(e)}", inner: e);
        }
        catch (AmazonClientException e)
        {
            throw new DeliveryException($"DynamoDB ({Where}) did not answer {what} on table {Name}: {FirstLine(e)}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new DeliveryException($"DynamoDB ({Where}) did not answer {what} on table {Name}: {FirstLine(e)}", inner: e);
        }
    }

    public void Dispose()
    {
        client?.Dispose();
        connecting.Dispose();
    }

    private string Where => Endpoint is null ? Region : $"{Region} at {Endpoint}";

    private async Task<AmazonDynamoDBClient> ClientAsync(CancellationToken ct)
    {
        await connecting.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (client is null)
            {
                ResolvedAwsCredentials resolved;
                try
                {
                    resolved = await AwsCredentialResolver.ResolveAsync(credentials, ct).ConfigureAwait(false);
                }
                catch (AwsCredentialsException e)
                {
                    throw new DeliveryException($"the deploy lock and ledger (DynamoDB table {Name}) need AWS credentials: {e.Message}", DeliveryFailure.Usage, e);
                }

                var keys = resolved.Credentials;
                client = new AmazonDynamoDBClient(keys.UseToken ? new SessionAWSCredentials(keys.AccessKey, keys.SecretKey, keys.Token) : new BasicAWSCredentials(keys.AccessKey, keys.SecretKey), config);
            }

            return client;
        }
        finally
        {
            connecting.Release();
        }
    }

    /// <summary>The API action (and IAM action) a call is, read off its response type: PutItemResponse is PutItem.</summary>
    private static string Action<T>() => typeof(T).Name[..^"Response".Length];

    private static string FirstLine(Exception e) => e.Message.Split('\n', 2)[0].Trim();

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>The statements (sid) of the deploy role's policy in build/terraform/iam.tf that allow the store's calls.</summary>
internal enum DeployRoleStatement
{
    DeployLock,
    ReleaseLedger,
}

/// <summary>Where an environment's lock and ledger table is: its name (terraform's output dynamodb_table_name) and AWS region.</summary>
/// <param name="Region">Null: AWS_REGION (else AWS_DEFAULT_REGION), as the AWS CLI reads it.</param>
public sealed record DynamoDbLocation(string Table, string? Region);
