namespace Slipway.Stack.Tests.Compose;

/// <summary>docker/compose/.env.example documents every variable the compose files use, and holds no secret.</summary>
public sealed class EnvExampleTests
{
    // Settings docker-compose itself reads from the environment, not referenced inside the files.
    private static readonly string[] ComposeOwnSettings = ["COMPOSE_FILE", "COMPOSE_PROJECT_NAME"];

    [Fact]
    public void Every_variable_in_the_compose_files_is_documented()
    {
        var documented = ComposeFiles.ReadEnvExample().Keys.ToHashSet(StringComparer.Ordinal);

        var undocumented = ComposeFiles.VariablesUsed().Where(v => !documented.Contains(v)).ToList();

        Assert.NotEmpty(ComposeFiles.VariablesUsed());
        Assert.True(undocumented.Count == 0, $"used in docker/compose but missing from .env.example: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void Every_documented_variable_is_used()
    {
        var used = ComposeFiles.VariablesUsed();

        var stale = ComposeFiles.ReadEnvExample().Keys.Where(k => !used.Contains(k) && !ComposeOwnSettings.Contains(k)).ToList();

        Assert.True(stale.Count == 0, $"in .env.example but used by no compose file: {string.Join(", ", stale)}");
    }

    [Fact]
    public void No_value_looks_like_a_real_secret()
    {
        var findings = ComposeFiles.ReadEnvExample().Select(p => SecretLikeValue.Why(p.Key, p.Value)).OfType<string>().ToList();

        Assert.True(findings.Count == 0, string.Join("; ", findings));
        Assert.Equal("", ComposeFiles.ReadEnvExample()["POSTGRES_PASSWORD"]);
    }

    [Theory]
    [InlineData("POSTGRES_PASSWORD", "hunter2")]
    [InlineData("JWT_SECRET", "x")]
    [InlineData("AWS_ID", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("GITHUB", "ghp_0123456789abcdefghijABCDEFGHIJ012345")]
    [InlineData("SESSION", "q8Zf3kP2vX9mL4tR7wB1nC6yH0jD5sGa")]
    public void The_secret_check_catches_secrets(string key, string value) =>
        Assert.NotNull(SecretLikeValue.Why(key, value));

    [Theory]
    [InlineData("POSTGRES_PASSWORD", "")]
    [InlineData("IMAGE_MIRROR", "127.0.0.1:5000")]
    [InlineData("COMPOSE_FILE", "docker-compose.yml:docker-compose.dev.yml")]
    [InlineData("NGINX_IMAGE", "slipway/nginx:local")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "Production")]
    public void The_secret_check_passes_ordinary_settings(string key, string value) =>
        Assert.Null(SecretLikeValue.Why(key, value));
}
