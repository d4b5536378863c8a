using System.Globalization;
using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The deploy targets as a release manager runs them: the real build (the assembly ./build.sh runs) in a child
/// process, against a real stack on the real engine, read through its exit code and its one-line messages.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class DeployTargetsTests
{
    private const string V1 = "1.0.0+aaaaaaa";
    private const string V2 = "2.0.0+bbbbbbb";

    [RegistryFact]
    public async Task A_held_lock_exits_3_Unlock_needs_force_for_a_live_lease_and_Rollback_walks_back_then_refuses()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync(V1);
        var v2 = await stack.PushAppAsync(V2);
        await stack.DeployAsync(V1, v1);
        await stack.DeployAsync(V2, v2);
        using var build = new BuildFolder(stack);
        var names = stack.Environment.Names;

        await using (var held = await DeployLock.AcquireAsync(stack.Docker, names, LockHolder.Current() with { Who = "ci", Host = "runner-7" }))
        {
            var runner = held.Holder;
            var refused = await build.RunAsync("Rollback");
            Assert.True(refused.ExitCode == 3, $"exit {refused.ExitCode}: {refused.Output}{string.Join('\n', refused.StandardError)}");
            Assert.Equal(
                $"✗ local is being deployed by {runner}, lease renewed until {Clock(runner.Expires)}. Wait, or run ./build.sh Unlock --environment local --force if that deploy is dead.",
                Assert.Single(refused.StandardError).Trim());

            var unlock = await build.RunAsync("Unlock");
            Assert.Equal(3, unlock.ExitCode);
            var line = Assert.Single(unlock.StandardError).Trim();
            Assert.StartsWith($"✗ local is locked by {runner}, lease renewed until ", line, StringComparison.Ordinal);
            Assert.EndsWith(": that deploy is alive. Wait for it, or run ./build.sh Unlock --environment local --force if you know it is dead.", line, StringComparison.Ordinal);
            Assert.Equal(runner.Since, (await DeployLock.ReadAsync(stack.Docker, names))?.Since);

            var forced = await build.RunAsync("Unlock", "--force");
            Assert.Equal(0, forced.ExitCode);
            Assert.Contains($"broke the live lock of {runner} (--force)", forced.Output, StringComparison.Ordinal);
            Assert.Null(await DeployLock.ReadAsync(stack.Docker, names));
        }

        var back = await build.RunAsync("Rollback");
        Assert.True(back.ExitCode == 0, back.Output + string.Join('\n', back.StandardError));
        Assert.Equal(V1, (await stack.ServingAsync())?.Version);

        var none = await build.RunAsync("Rollback");
        Assert.Equal(1, none.ExitCode);
        Assert.Equal($"✗ nothing earlier remains to roll back to: {V1} is the oldest release in the chain of what served local; nothing changed", Assert.Single(none.StandardError).Trim());
        Assert.Equal(V1, (await stack.ServingAsync())?.Version);
        Assert.Null(await DeployLock.ReadAsync(stack.Docker, names));
    }

    private static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A folder the build takes for the repository root: .nuke/environments/local.json describing the test stack, and
    /// the repository's migrations. Everything else the targets read comes from the stack's own files.
    /// </summary>
    private sealed class BuildFolder : IDisposable
    {
        // The build project is referenced by the tests, so its assembly sits next to theirs, whatever the configuration.
        private static readonly string Assembly = Path.Combine(AppContext.BaseDirectory, "_build.dll");

        private readonly string root = Directory.CreateTempSubdirectory("slipway-build-root-").FullName;

        public BuildFolder(DeployTestStack stack)
        {
            var environment = stack.Environment;
            var file = new
            {
                registry = new { kind = "basic", address = environment.Registry.Address, user = environment.Registry.User, passwordVariable = environment.Registry.PasswordVariable },
                strategy = "single-host",
                project = environment.Project,
                publicUrl = environment.PublicUrl.ToString(),
                trustedCaFile = environment.TrustedCaFile,
                compose = new
                {
                    files = environment.Compose.Files.Select(f => Path.GetFullPath(f, stack.Root)),
                    appService = environment.Compose.AppService,
                    proxyService = environment.Compose.ProxyService,
                    upstreamFile = environment.Compose.UpstreamFile,
                    appPort = environment.Compose.AppPort,
                    variables = environment.Compose.Variables,
                },
                health = new { timeoutSeconds = (int)environment.Health.Timeout.TotalSeconds },
                smoke = new { timeoutSeconds = (int)environment.Smoke.Timeout.TotalSeconds, retries = environment.Smoke.Retries, initialBackoffMilliseconds = (int)environment.Smoke.InitialBackoff.TotalMilliseconds },
                drainSeconds = (int)environment.Drain.TotalSeconds,
            };
            Directory.CreateDirectory(Path.Combine(root, ".nuke", "environments"));
            File.WriteAllText(Path.Combine(root, ".nuke", "environments", "local.json"), JsonSerializer.Serialize(file));
            var migrations = Directory.CreateDirectory(Path.Combine(root, "src", "Api", "Migrations")).FullName;
            foreach (var script in Directory.EnumerateFiles(RepositoryFiles.PathOf("src/Api/Migrations"), "*.sql"))
                File.Copy(script, Path.Combine(migrations, Path.GetFileName(script)));
        }

        /// <summary>./build.sh &lt;arguments&gt; --environment local, from this folder; CI unset, as on a release manager's machine.</summary>
        public Task<ProcessResult> RunAsync(params string[] arguments) =>
            ProcessRunner.RunAsync("dotnet", [Assembly, .. arguments, "--environment", "local"], new ProcessOptions
            {
                WorkingDirectory = root,
                // Not a step of the job running these tests: no workflow commands, nothing added to its summary.
                Environment = new Dictionary<string, string?> { ["CI"] = null, ["GITHUB_ACTIONS"] = null, ["GITHUB_STEP_SUMMARY"] = null },
                CheckExitCode = false,
                Timeout = TimeSpan.FromMinutes(5),
            });

        public void Dispose() => Directory.Delete(root, recursive: true);
    }
}
