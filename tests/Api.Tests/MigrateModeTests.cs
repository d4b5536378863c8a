using Api.Tests.Support;

namespace Api.Tests;

/// <summary>`dotnet Api.dll migrate`: the command the deploy's release phase runs in the API image, run here as a real process.</summary>
public class MigrateModeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [PostgresFact]
    public async Task Migrate_applies_the_shipped_migrations_prints_one_line_each_and_the_schema_version_and_is_idempotent()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        var environment = new Dictionary<string, string> { ["DATABASE_URL"] = database.Url };

        using (var first = ApiProcess.Start(environment, "migrate", "--applied-by", "release@test"))
        {
            Assert.Equal(0, await first.WaitForExitAsync(Timeout));
            Assert.Empty(first.Stderr);
            Assert.Equal(4, first.Stdout.Count);
            Assert.Equal($"migration lock on {database.Name} acquired", first.Stdout[0]);
            Assert.Matches("^0001_create_users applied in [0-9]+ ms$", first.Stdout[1]);
            Assert.Equal([$"{database.Name} is now at version 1", "schema version 1"], first.Stdout.Skip(2));
        }

        Assert.Equal("release@test", await database.ScalarAsync<string>("SELECT applied_by FROM schema_migrations WHERE version = 1"));
        Assert.True(await database.ScalarAsync<bool>("SELECT to_regclass('public.users') IS NOT NULL"));

        using (var again = ApiProcess.Start(environment, "migrate"))
        {
            Assert.Equal(0, await again.WaitForExitAsync(Timeout));
            Assert.Equal([$"migration lock on {database.Name} acquired", $"{database.Name} is at version 1; nothing to do", "schema version 1"], again.Stdout);
        }

        using (var down = ApiProcess.Start(environment, "migrate", "--to", "0"))
        {
            Assert.Equal(0, await down.WaitForExitAsync(Timeout));
            Assert.Equal("schema version 0", down.Stdout[^1]);
            Assert.Matches("^0001_create_users reverted in [0-9]+ ms$", down.Stdout[1]);
        }

        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass('public.users') IS NOT NULL"));
    }

    [Theory]
    [InlineData(new[] { "migrate", "--force" }, "migrate: unknown argument '--force'; usage: migrate [--to VERSION] [--require-extension NAME]... [--applied-by WHO]")]
    [InlineData(new[] { "migrate", "--to" }, "migrate: --to needs a value; usage: migrate [--to VERSION] [--require-extension NAME]... [--applied-by WHO]")]
    [InlineData(new[] { "migrate", "--to", "latest" }, "migrate: --to 'latest' is not a schema version (0 or a positive whole number); usage: migrate [--to VERSION] [--require-extension NAME]... [--applied-by WHO]")]
    public async Task Bad_arguments_exit_2_with_one_line_before_connecting(string[] arguments, string expected)
    {
        using var api = ApiProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://u:secret-pw@127.0.0.1:1/unused" }, arguments);

        Assert.Equal(2, await api.WaitForExitAsync(Timeout));
        Assert.Equal([expected], api.Stderr);
        Assert.Empty(api.Stdout);
    }

    [Fact]
    public async Task A_missing_or_malformed_database_url_exits_2_and_an_unreachable_database_exits_1_with_one_line_and_no_password()
    {
        using (var missing = ApiProcess.Start(new Dictionary<string, string>(), "migrate"))
        {
            Assert.Equal(2, await missing.WaitForExitAsync(Timeout));
            Assert.Equal(["migrate: DATABASE_URL is not set; expected postgres://user:password@host:port/database"], missing.Stderr);
        }

        using (var malformed = ApiProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = "mysql://u:secret-pw@db/x" }, "migrate"))
        {
            Assert.Equal(2, await malformed.WaitForExitAsync(Timeout));
            Assert.Equal(["migrate: DATABASE_URL: database URL has scheme 'mysql' (expected postgres://user:password@host:port/database)"], malformed.Stderr);
        }

        using var unreachable = ApiProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://u:secret-pw@127.0.0.1:1/unused" }, "migrate");
        Assert.Equal(1, await unreachable.WaitForExitAsync(Timeout));
        var line = Assert.Single(unreachable.Stderr);
        Assert.StartsWith("migrate failed: cannot connect to PostgreSQL at u@127.0.0.1:1/unused: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", line, StringComparison.Ordinal);
        Assert.Empty(unreachable.Stdout);
    }
}
