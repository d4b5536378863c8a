using Npgsql;
using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

/// <summary>A fresh database t_&lt;guid&gt; on the test server (SLIPWAY_TEST_DATABASE_URL), dropped on dispose.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly string adminUrl;

    private TestDatabase(string adminUrl, string name)
    {
        this.adminUrl = adminUrl;
        Name = name;
        Url = WithDatabase(adminUrl, name);
    }

    public string Name { get; }

    /// <summary>postgres://user:password@host:port/t_…</summary>
    public string Url { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var adminUrl = RealServers.DatabaseUrl ?? throw new InvalidOperationException("SLIPWAY_TEST_DATABASE_URL is not set");
        var name = $"t_{Guid.NewGuid():N}";
        await ExecuteAsync(adminUrl, $"CREATE DATABASE {name}");
        return new TestDatabase(adminUrl, name);
    }

    /// <summary>The same server and database with another user name and password (the test server trusts loopback).</summary>
    public string UrlWithPassword(string password)
    {
        var builder = new UriBuilder(Url) { Password = Uri.EscapeDataString(password) };
        return builder.Uri.AbsoluteUri;
    }

    public NpgsqlConnection Connect(string applicationName = "slipway-tests")
    {
        var connection = new NpgsqlConnection(DatabaseUrl.Parse(Url).ToConnectionString(applicationName));
        connection.Open();
        return connection;
    }

    public async Task<IReadOnlyList<string>> RowsAsync(string sql)
    {
        await using var connection = Connect();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values));
        }

        return rows;
    }

    /// <summary>Everything a migration could change in the public schema, one line per fact.</summary>
    public async Task<IReadOnlyList<string>> SchemaSnapshotAsync() =>
        [
            .. await RowsAsync(
                """
                SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
                FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                """),
            .. await RowsAsync("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"),
            .. await RowsAsync(
                """
                SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints
                WHERE table_schema = 'public' AND constraint_name !~ '^[0-9]+_[0-9]+_[0-9]+_not_null$' -- named by oid; is_nullable covers them
                ORDER BY table_name, constraint_name
                """),
            .. await RowsAsync(
                """
                SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' ORDER BY c.relname
                """),
            .. await RowsAsync(
                """
                SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
                UNION ALL SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') ORDER BY 1
                """),
        ];

    public Task<IReadOnlyList<string>> HistoryAsync() =>
        RowsAsync("SELECT version, name FROM schema_migrations ORDER BY version");

    public async Task<IReadOnlyList<string>> TablesAsync() =>
        await RowsAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = Connect();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a statement on the test server's own database (for server-wide objects such as roles).</summary>
    public static Task ExecuteOnServerAsync(string sql) =>
        ExecuteAsync(RealServers.DatabaseUrl ?? throw new InvalidOperationException("SLIPWAY_TEST_DATABASE_URL is not set"), sql);

    public async ValueTask DisposeAsync() =>
        await ExecuteAsync(adminUrl, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");

    private static async Task ExecuteAsync(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(DatabaseUrl.Parse(url).ToConnectionString("slipway-tests"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string WithDatabase(string url, string database) =>
        new UriBuilder(url) { Path = "/" + database }.Uri.AbsoluteUri;
}
