using System.Diagnostics;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Migrations;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The release phase with the real API image (<c>dotnet Api.dll migrate</c>, the migrations shipped in it) against
/// PostgreSQL on the stack's internal network, which the test itself can reach only through `docker exec`.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ApiReleasePhaseTests
{
    [RegistryFact]
    public async Task The_api_image_migrates_the_stacks_database_after_the_other_migrator_releases_the_lock_and_a_failing_migration_changes_nothing()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        stack.AddDatabase();
        var api = (await TestApiImage.EnsureAsync(stack.Builder)).Reference;
        var request = stack.Request("0.1.0", api) with { ReleaseCommand = ["migrate", "--applied-by", "release-test"] };
        var plan = (BlueGreenPlan)await stack.Runner().PlanAsync(request);
        var log = new List<string>();
        void Log(string line)
        {
            lock (log)
                log.Add(line);
        }

        var containers = new StackContainers(stack.Docker, stack.Environment, plan.Stack, stack.Auth, Log);
        await containers.EnsureNetworksAndVolumesAsync(default);
        foreach (var service in plan.Infrastructure)
            await containers.EnsureServiceAsync(service, stack.Environment.Health.Timeout, default);
        var postgres = stack.Environment.Names.Container("postgres");
        async Task<string> Sql(string sql)
        {
            var result = await stack.Docker.Containers.ExecAsync(postgres, ["psql", "-h", "/var/run/postgresql", "-U", "slipway", "-d", "slipway", "-tAc", sql]);
            Assert.True(result.Succeeded, result.StandardError);
            return result.StandardOutput.Trim();
        }

        // Another migrator (a deploy of another environment on this database, a Migrate run) holds the migration lock.
        // In the foreground of its exec: an orphan would be reaped by the postmaster (PID 1), which then restarts.
        var holder = stack.Docker.Containers.ExecAsync(postgres,
            ["env", "PGAPPNAME=lock-holder", "psql", "-h", "/var/run/postgresql", "-U", "slipway", "-d", "slipway", "-c", $"SELECT pg_advisory_lock({MigrationLock.Key})", "-c", "SELECT pg_sleep(600)"]);
        await UntilAsync(async () => await Sql("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'lock-holder'") == "1");

        var release = new ReleasePhase(stack.Docker, request, plan.Stack, Log).RunAsync(plan.App, "nothing was serving", default);
        await UntilAsync(async () => await Sql($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{Migrator.ApplicationName}' AND query LIKE 'SELECT pg_try_advisory_lock%'") == "1");
        Assert.False(release.IsCompleted);
        Assert.Equal("f", await Sql("SELECT to_regclass('public.schema_migrations') IS NOT NULL"));
        await Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'");
        Assert.Contains("terminating connection due to administrator command", (await holder).StandardError, StringComparison.Ordinal);

        Assert.Equal("1", await release);
        Assert.Contains(log, l => l.StartsWith("  | waiting up to 120 s for the migration lock on slipway, held since ", StringComparison.Ordinal) && l.EndsWith(", lock-holder)", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("  | 0001_create_users applied in ", StringComparison.Ordinal));
        Assert.Equal("  | schema version 1", log.Last(l => l.StartsWith("  | ", StringComparison.Ordinal)));
        Assert.DoesNotContain(log, l => l.Contains("libgssapi", StringComparison.Ordinal));
        Assert.Equal("1|create_users|release-test", await Sql("SELECT version || '|' || name || '|' || applied_by FROM schema_migrations"));

        // The next deploy of a release with the same migrations: nothing to do, the same schema version.
        log.Clear();
        Assert.Equal("1", await new ReleasePhase(stack.Docker, request, plan.Stack, Log).RunAsync(plan.App, "nothing was serving", default));
        Assert.Contains("  | slipway is at version 1; nothing to do", log);

        // A release whose new migration fails: its transaction is rolled back, and the message says so.
        var broken = await BuildWithMigrationAsync(stack, api, "0002_add_total.up.sql", "ALTER TABLE users ADD COLUMN total integer;\nSELECT 1 / 0;\n");
        DeployFailedException failure;
        try
        {
            failure = await Assert.ThrowsAsync<DeployFailedException>(() =>
                new ReleasePhase(stack.Docker, request with { AppImage = broken }, plan.Stack, Log).RunAsync(plan.App, "blue still serving", default));
        }
        finally
        {
            await stack.Builder.Images.RemoveAsync(broken, force: true);
        }

        Assert.StartsWith("release phase `migrate --applied-by release-test` exited with code 1, so the app was not touched (blue still serving)", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            "  | migrate failed: 0002_add_total.up.sql failed in the statement at line 2: division by zero (SQLSTATE 22012); its transaction was rolled back and slipway stays at version 1",
            failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(stack.Environment.Compose.Variables["POSTGRES_PASSWORD"], failure.Message, StringComparison.Ordinal);
        Assert.Equal("1", await Sql("SELECT max(version) FROM schema_migrations"));
        Assert.Equal("f", await Sql("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'total')"));
    }

    /// <summary>The API image with one more migration file in /app/Migrations, as the next release would ship it.</summary>
    private static async Task<string> BuildWithMigrationAsync(DeployTestStack stack, string api, string file, string sql)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-api-next-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), $"FROM {api}\nCOPY {file} /app/Migrations/\n");
            await File.WriteAllTextAsync(Path.Combine(folder, file), sql);
            var tag = $"slipway-test/api-next:{stack.Project}";
            await using var context = await BuildContext.CreateAsync(folder, "Dockerfile");
            await stack.Builder.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [tag] });
            return tag;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the condition never held");
            await Task.Delay(200);
        }
    }
}
