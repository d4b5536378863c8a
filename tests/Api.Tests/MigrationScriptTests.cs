using Api.Tests.Support;

namespace Api.Tests;

public class MigrationScriptTests
{
    private const string UsersTableExists = "SELECT to_regclass('public.users') IS NOT NULL";

    [PostgresFact]
    public async Task Users_migration_goes_up_down_and_up_again_cleanly()
    {
        await using var database = await TestDatabase.CreateAsync(migrate: false);

        await database.RunScriptsAsync(".up.sql");
        Assert.True(await database.ScalarAsync<bool>(UsersTableExists));
        Assert.Equal("free", await database.ScalarAsync<string>(
            "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'h') RETURNING subscription_tier"));

        await database.RunScriptsAsync(".down.sql");
        Assert.False(await database.ScalarAsync<bool>(UsersTableExists));

        await database.RunScriptsAsync(".up.sql");
        Assert.True(await database.ScalarAsync<bool>(UsersTableExists));
    }

    [PostgresFact]
    public async Task The_schema_rejects_duplicate_emails_and_negative_credits()
    {
        await using var database = await TestDatabase.CreateAsync();
        await database.ScalarAsync<object>("INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'h')");

        var duplicate = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            database.ScalarAsync<object>("INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'h')"));
        var negative = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            database.ScalarAsync<object>("INSERT INTO users (email, password_hash, credits) VALUES ('b@example.com', 'h', -1)"));

        Assert.Equal("23505", duplicate.SqlState);
        Assert.Equal("23514", negative.SqlState);
    }
}
