using System.Diagnostics;
using System.Text.Json;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Publishing;

/// <summary>
/// ./build.sh Promote as production's deploy job runs it: the compiled build (_build.dll) in a repository of its own whose
/// staging and prod environments use two real registries, with the hand-off staging's PushEcr left in artifacts/images.
/// </summary>
public sealed class PromoteTargetTests : IAsyncLifetime
{
    private const string StagingPassword = "SLIPWAY_TEST_STAGING_REGISTRY_PASSWORD";
    private const string ProdPassword = "SLIPWAY_TEST_PROD_REGISTRY_PASSWORD";

    private readonly string root = Directory.CreateTempSubdirectory("slipway-promote-").FullName;
    private PrivateRegistry staging = null!;
    private PrivateRegistry production = null!;

    private string HandOff => Path.Combine(root, "artifacts", "images", "pushed.json");

    public async Task InitializeAsync()
    {
        staging = await PrivateRegistry.StartAsync();
        production = await PrivateRegistry.StartAsync();
        Directory.CreateDirectory(Path.Combine(root, ".nuke", "environments"));
        await File.WriteAllTextAsync(Path.Combine(root, "compose.yml"), "services: {}\n");
        await WriteEnvironmentAsync("staging", staging, StagingPassword);
        await WriteEnvironmentAsync("prod", production, ProdPassword);
    }

    public async Task DisposeAsync()
    {
        await staging.DisposeAsync();
        await production.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Promote_copies_stagings_images_by_digest_and_hands_prods_references_to_Deploy()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        using var proxy = new OciTestImage("1.0.0-abc1234");
        await PushToStagingAsync(("slipway-api", api), ("slipway-nginx", proxy));

        var result = await RunAsync("Promote", "--environment", "prod", "--promote-from", "staging");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(await staging.ContentsAsync(), await production.ContentsAsync());
        Assert.Equal([$"slipway-api:1.0.0-abc1234 {api.ManifestDigest}", $"slipway-nginx:1.0.0-abc1234 {proxy.ManifestDigest}"], await production.ContentsAsync());
        var handedOn = JsonSerializer.Deserialize<PublishResult>(await File.ReadAllTextAsync(HandOff))!;
        Assert.Equal(production.Address, handedOn.Registry);
        Assert.Equal(
            [($"{production.Address}/slipway-api:1.0.0-abc1234", api.ManifestDigest), ($"{production.Address}/slipway-nginx:1.0.0-abc1234", proxy.ManifestDigest)],
            handedOn.Images.Select(i => (i.Reference, i.Digest)));
        Assert.DoesNotContain(staging.Password, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(production.Password, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_hand_off_Promote_is_one_line_and_exit_2_and_copies_nothing()
    {
        var result = await RunAsync("Promote", "--environment", "prod", "--promote-from", "staging");

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.Output.Contains("Promote reads artifacts/images/pushed.json, which is missing: run ./build.sh PushEcr --environment staging first (on CI it is that job's artifact)", StringComparison.Ordinal), result.Output);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.Empty(await production.ContentsAsync());
    }

    [Fact]
    public async Task Promoting_an_environment_from_itself_or_without_the_source_registrys_password_is_refused()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        await PushToStagingAsync(("slipway-api", api));

        var itself = await RunAsync("Promote", "--environment", "prod", "--promote-from", "prod");
        var noPassword = await RunAsync(["Promote", "--environment", "prod", "--promote-from", "staging"], withoutVariable: StagingPassword);

        Assert.Equal(2, itself.ExitCode);
        Assert.True(itself.Output.Contains("--promote-from prod is the environment itself: promote from the stage before it", StringComparison.Ordinal), itself.Output);
        Assert.Equal(2, noPassword.ExitCode);
        Assert.True(noPassword.Output.Contains($".nuke/environments/staging.json: registry.passwordVariable {StagingPassword} is not set", StringComparison.Ordinal), noPassword.Output);
        Assert.Empty(await production.ContentsAsync());
    }

    private async Task PushToStagingAsync(params (string Repository, OciTestImage Image)[] images)
    {
        var pushed = new List<PublishedImage>();
        foreach (var (repository, image) in images)
        {
            var reference = new ImageReference(staging.Address, repository, image.Tag);
            await image.PushAsync(reference, new RegistryCredentials(staging.Address, PrivateRegistry.User, staging.Password), CancellationToken.None);
            pushed.Add(new PublishedImage(reference.ToString(), image.ManifestDigest, RepositoryCreated: false));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(HandOff)!);
        await File.WriteAllTextAsync(HandOff, JsonSerializer.Serialize(new PublishResult(staging.Address, pushed)));
    }

    private Task WriteEnvironmentAsync(string name, PrivateRegistry registry, string passwordVariable) =>
        File.WriteAllTextAsync(Path.Combine(root, ".nuke", "environments", name + ".json"), JsonSerializer.Serialize(new
        {
            registry = new { kind = "basic", address = registry.Address, user = PrivateRegistry.User, passwordVariable },
            strategy = "single-host",
            project = "promote",
            publicUrl = $"https://{name}.promote.invalid",
            compose = new { files = new[] { "compose.yml" }, appService = "api", proxyService = "nginx", upstreamFile = "/etc/nginx/upstreams/api.conf", appPort = 8080 },
            secrets = new[] { "POSTGRES_PASSWORD" },
            health = new { timeoutSeconds = 60 },
            smoke = new { timeoutSeconds = 20, retries = 4, initialBackoffMilliseconds = 100 },
        }));

    private Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) => RunAsync(arguments, withoutVariable: null);

    private async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, string? withoutVariable)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "_build.dll"), .. arguments])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var variable in new[] { "CI", "GITHUB_ACTIONS", "SLIPWAY_ENVIRONMENT" })
            start.Environment.Remove(variable);
        start.Environment[StagingPassword] = staging.Password;
        start.Environment[ProdPassword] = production.Password;
        if (withoutVariable is not null)
            start.Environment.Remove(withoutVariable);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A guard against a hung build, not a measure.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
