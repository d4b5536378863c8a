using Slipway.Tools.Processes;

namespace Slipway.Tools.Tests.Processes;

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class MinimalEnvironmentTests
{
    private static readonly string[] Credentials =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_PROFILE",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "GITHUB_TOKEN",
    ];

    private static EnvironmentScope WithCredentialsInOurEnvironment()
    {
        var scope = new EnvironmentScope();
        foreach (var name in Credentials)
            scope.Set(name, "secret-" + name.ToLowerInvariant());
        return scope;
    }

    private static async Task<Dictionary<string, string>> EnvironmentSeenBy(ProcessOptions options)
    {
        var result = await ProcessRunner.RunAsync("env", [], options);
        return result.StandardOutput.Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
    }

    [Fact]
    public async Task The_minimal_environment_withholds_aws_and_github_credentials()
    {
        using var scope = WithCredentialsInOurEnvironment().Set("LANG", "C.UTF-8");

        var seen = await EnvironmentSeenBy(new ProcessOptions
        {
            InheritOnly = ProcessOptions.MinimalEnvironment,
            Environment = new Dictionary<string, string?> { ["SLIPWAY_GIVEN"] = "given" },
        });

        var expected = ProcessOptions.MinimalEnvironment.Where(name => Environment.GetEnvironmentVariable(name) is not null).Append("SLIPWAY_GIVEN");
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), seen["PATH"]);
        Assert.Equal("given", seen["SLIPWAY_GIVEN"]);
        Assert.DoesNotContain(seen.Values, value => value.StartsWith("secret-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_an_allow_list_the_child_inherits_everything()
    {
        using var scope = WithCredentialsInOurEnvironment();

        var seen = await EnvironmentSeenBy(new ProcessOptions());

        Assert.All(Credentials, name => Assert.Equal("secret-" + name.ToLowerInvariant(), seen[name]));
    }

    [Fact]
    public async Task A_third_party_tool_also_gets_its_own_settings_and_proxies_but_no_credentials()
    {
        using var scope = WithCredentialsInOurEnvironment().Set("TRIVY_CACHE_DIR", "/tmp/trivy-cache").Set("HTTPS_PROXY", "http://127.0.0.1:3128");

        var seen = await EnvironmentSeenBy(new ProcessOptions { InheritOnly = ProcessOptions.ThirdPartyEnvironment("TRIVY_") });

        Assert.Equal("/tmp/trivy-cache", seen["TRIVY_CACHE_DIR"]);
        Assert.Equal("http://127.0.0.1:3128", seen["HTTPS_PROXY"]);
        Assert.DoesNotContain(seen.Keys, name => Credentials.Contains(name) || name.StartsWith("AWS_", StringComparison.Ordinal));
    }
}
