using Slipway.Tools.Aws;

namespace Slipway.Tools.Tests.Aws;

public sealed class AwsCredentialChainTests : IDisposable
{
    private readonly DirectoryInfo home = Directory.CreateTempSubdirectory("slipway-aws-home-");
    private readonly Dictionary<string, string> variables = [];

    private AwsEnvironment Environment => new(name => variables.GetValueOrDefault(name), home.FullName);

    private Task<AwsCredentials> Resolve() => AwsCredentialChain.ResolveAsync(Environment, CancellationToken.None);

    private void WriteAwsFile(string name, string text)
    {
        Directory.CreateDirectory(Path.Combine(home.FullName, ".aws"));
        File.WriteAllText(Path.Combine(home.FullName, ".aws", name), text);
    }

    [Fact]
    public async Task Environment_variables_come_first()
    {
        WriteAwsFile("credentials", "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n");
        variables["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT";
        variables["AWS_SECRET_ACCESS_KEY"] = "env-secret";
        variables["AWS_SESSION_TOKEN"] = "env-token";

        var credentials = await Resolve();

        Assert.Equal(new AwsCredentials("AKIAENVIRONMENT", "env-secret", "env-token", "environment"), credentials);
    }

    [Fact]
    public async Task Half_set_environment_credentials_are_a_clear_error()
    {
        variables["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT";

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.Equal("AWS_SECRET_ACCESS_KEY is not set but AWS_ACCESS_KEY_ID is: set both, or neither", error.Message);
    }

    [Fact]
    public async Task The_default_profile_comes_from_the_shared_credentials_file()
    {
        WriteAwsFile("credentials", "# comment\n[other]\naws_access_key_id=AKIAOTHER\naws_secret_access_key=x\n\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n");

        Assert.Equal(new AwsCredentials("AKIADEFAULT", "default-secret", null, "profile default"), await Resolve());
    }

    [Fact]
    public async Task AWS_PROFILE_selects_a_profile_from_the_config_file_and_the_credentials_file_wins()
    {
        var config = Path.Combine(home.FullName, "custom-config");
        File.WriteAllText(config, "[profile deploy]\nregion = eu-west-1\naws_access_key_id = AKIACONFIG\naws_secret_access_key = config-secret\naws_session_token = config-token\n");
        var credentialsFile = Path.Combine(home.FullName, "custom-credentials");
        File.WriteAllText(credentialsFile, "[deploy]\naws_secret_access_key = credentials-secret\n");
        variables["AWS_PROFILE"] = "deploy";
        variables["AWS_CONFIG_FILE"] = config;
        variables["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile;

        Assert.Equal(new AwsCredentials("AKIACONFIG", "credentials-secret", "config-token", "profile deploy"), await Resolve());
    }

    [Fact]
    public async Task A_chosen_profile_that_does_not_exist_is_named()
    {
        WriteAwsFile("credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n");
        variables["AWS_PROFILE"] = "prod";

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.StartsWith("AWS_PROFILE is 'prod' but neither ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_profile_that_assumes_a_role_says_what_to_do_instead()
    {
        WriteAwsFile("config", "[default]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\n");

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.StartsWith("AWS profile 'default' assumes a role (role_arn), which Slipway does not resolve: export credentials", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_credentials_anywhere_lists_every_source()
    {
        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.Equal(
            $"no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (OIDC), or a profile 'default' in {home.FullName}/.aws/credentials",
            error.Message);
    }

    // STS cannot be reached from here: a fake STS on 127.0.0.1 (pointed at with AWS's own AWS_ENDPOINT_URL_STS)
    // answers the AWS SDK's query-protocol request with the XML response AWS documents for AssumeRoleWithWebIdentity.
    [Fact]
    public async Task Web_identity_exchanges_the_oidc_token_with_sts()
    {
        using var sts = new LoopbackHttpServer(request => request.Text.Contains("WebIdentityToken=oidc-jwt-from-ci", StringComparison.Ordinal)
            ? new Reply(200, "text/xml", AssumeRoleWithWebIdentityResponse)
            : new Reply(400, "text/xml", InvalidIdentityTokenResponse));
        var tokenFile = Path.Combine(home.FullName, "token");
        File.WriteAllText(tokenFile, "oidc-jwt-from-ci\n");
        WriteAwsFile("credentials", "[default]\naws_access_key_id=AKIAPROFILE\naws_secret_access_key=ignored\n");
        variables["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/github-deploy";
        variables["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile;
        variables["AWS_ROLE_SESSION_NAME"] = "slipway-ci";
        variables["AWS_REGION"] = "eu-west-1";
        variables["AWS_ENDPOINT_URL_STS"] = sts.Url.ToString();

        var credentials = await Resolve();

        Assert.Equal(
            new AwsCredentials("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE", "web identity arn:aws:iam::123456789012:role/github-deploy"),
            credentials);
        var form = Assert.Single(sts.Requests).Text.Split('&').ToHashSet();
        Assert.Superset(
            new HashSet<string> { "Action=AssumeRoleWithWebIdentity", "Version=2011-06-15", "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fgithub-deploy", "RoleSessionName=slipway-ci" },
            form);
        Assert.Null(sts.Requests[0].Header("Authorization")); // the token, not a signature, proves identity
    }

    [Fact]
    public async Task A_rejected_oidc_token_reports_sts_error_code()
    {
        using var sts = new LoopbackHttpServer(_ => new Reply(400, "text/xml", InvalidIdentityTokenResponse));
        var tokenFile = Path.Combine(home.FullName, "token");
        File.WriteAllText(tokenFile, "expired-jwt");
        variables["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/github-deploy";
        variables["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile;
        variables["AWS_ENDPOINT_URL_STS"] = sts.Url.ToString();

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.Equal("STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/github-deploy failed: InvalidIdentityToken: Token expired", error.Message);
    }

    [Fact]
    public async Task A_missing_web_identity_token_file_is_named()
    {
        variables["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/github-deploy";
        variables["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/nonexistent/token";

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.Equal("AWS_WEB_IDENTITY_TOKEN_FILE /nonexistent/token does not exist: check the OIDC token step of the CI job", error.Message);
    }

    private const string AssumeRoleWithWebIdentityResponse = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <SubjectFromWebIdentityToken>repo:example/slipway:ref:refs/heads/main</SubjectFromWebIdentityToken>
            <Audience>sts.amazonaws.com</Audience>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/github-deploy/slipway-ci</Arn>
              <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:slipway-ci</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
              <Expiration>2030-10-24T23:00:23Z</Expiration>
              <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
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

    public void Dispose() => home.Delete(recursive: true);
}
