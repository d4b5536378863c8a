namespace Slipway.Tools.Tests.Aws;

/// <summary>
/// A fake of AWS STS on 127.0.0.1 (STS cannot be reached from here), pointed at with AWS's own AWS_ENDPOINT_URL_STS.
/// It answers the AWS SDK's query-protocol requests (form-encoded Action=...) with the XML responses AWS documents
/// for AssumeRole and AssumeRoleWithWebIdentity, and with STS's documented error XML otherwise.
/// </summary>
internal sealed class FakeSts : IDisposable
{
    public const string AccessKeyId = "ASIAIOSFODNN7EXAMPLE";
    public const string SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    public const string SessionToken = "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE";

    private readonly LoopbackHttpServer server;

    public FakeSts(string acceptedWebIdentityToken = "oidc-jwt-from-ci") =>
        server = new LoopbackHttpServer(request => Form(request) switch
        {
            var form when form.GetValueOrDefault("Action") == "AssumeRole" => new Reply(200, "text/xml", AssumeRoleResponse),
            var form when form.GetValueOrDefault("Action") == "AssumeRoleWithWebIdentity" && form.GetValueOrDefault("WebIdentityToken") == acceptedWebIdentityToken
                => new Reply(200, "text/xml", AssumeRoleWithWebIdentityResponse),
            _ => new Reply(400, "text/xml", InvalidIdentityTokenResponse),
        });

    public Uri Url => server.Url;

    public IReadOnlyList<ReceivedRequest> Requests => server.Requests;

    public static Dictionary<string, string> Form(ReceivedRequest request) =>
        request.Text.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => Uri.UnescapeDataString(pair[0]), pair => Uri.UnescapeDataString(pair.Length > 1 ? pair[1].Replace('+', ' ') : ""));

    public void Dispose() => server.Dispose();

    private const string AssumeRoleResponse = $"""
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/deploy/slipway-test</Arn>
              <AssumedRoleId>ARO123EXAMPLE123:slipway-test</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <AccessKeyId>{AccessKeyId}</AccessKeyId>
              <SecretAccessKey>{SecretAccessKey}</SecretAccessKey>
              <SessionToken>{SessionToken}</SessionToken>
              <Expiration>2030-11-09T13:34:41Z</Expiration>
            </Credentials>
            <PackedPolicySize>6</PackedPolicySize>
          </AssumeRoleResult>
          <ResponseMetadata>
            <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
          </ResponseMetadata>
        </AssumeRoleResponse>
        """;

    private const string AssumeRoleWithWebIdentityResponse = $"""
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <SubjectFromWebIdentityToken>repo:example/slipway:ref:refs/heads/main</SubjectFromWebIdentityToken>
            <Audience>sts.amazonaws.com</Audience>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/github-deploy/slipway-ci</Arn>
              <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:slipway-ci</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <SessionToken>{SessionToken}</SessionToken>
              <SecretAccessKey>{SecretAccessKey}</SecretAccessKey>
              <Expiration>2030-10-24T23:00:23Z</Expiration>
              <AccessKeyId>{AccessKeyId}</AccessKeyId>
            </Credentials>
            <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
          </AssumeRoleWithWebIdentityResult>
          <ResponseMetadata>
            <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
          </ResponseMetadata>
        </AssumeRoleWithWebIdentityResponse>
        """;

    private const string InvalidIdentityTokenResponse = """
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error>
            <Type>Sender</Type>
            <Code>InvalidIdentityToken</Code>
            <Message>Token expired</Message>
          </Error>
          <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
        </ErrorResponse>
        """;
}
